#!/usr/bin/env bash
# Issue 5 benchmark: decode a 200-slice 512x512 CT in each compressed syntax, MedNode (one process, both cores)
# side by side with the native tools (gdcmconv --raw, DCMTK dcmdrle/dcmdjpeg/dcmdjpls; one process per file, two at a
# time so they use both cores too). Whole-process wall time, median of 3 runs.
# usage: bench/codecs.sh [workdir]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/mednode-bench-codecs}
dotnet build bench/MedNode.Bench -c Release -v q -nologo >/dev/null
bench="dotnet bench/MedNode.Bench/bin/Release/net10.0/MedNode.Bench.dll"
[ -d "$work/native" ] || $bench gen-ct "$work/native" 200
enc() { # name command...
  local name=$1; shift
  [ -d "$work/$name" ] && return
  mkdir -p "$work/$name"
  for f in "$work"/native/*.dcm; do "$@" "$f" "$work/$name/$(basename "$f")"; done
}
enc rle dcmcrle
enc jpegll dcmcjpeg +e1
enc jpegls dcmcjpls
enc j2k gdcmconv --j2k
median() { sort -n | sed -n 2p; }
timeit() { for i in 1 2 3; do s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; done | median; }
native_mb=$(du -sb "$work/native" | cut -f1)
tool_all() { # tool args... : runs the tool over every file of $dir, two at a time
  ls "$dir"/*.dcm | xargs -P 2 -I{} sh -c "$* {} $work/out.\$\$.dcm && rm -f $work/out.\$\$.dcm"
}
printf '| syntax | MedNode s | MedNode MB/s | gdcmconv --raw s | DCMTK s | fastest native / MedNode |\n|---|---|---|---|---|---|\n'
for pair in "rle:dcmdrle" "jpegll:dcmdjpeg" "jpegls:dcmdjpls" "j2k:"; do
  name=${pair%%:*}; dcmtk=${pair#*:}; dir="$work/$name"
  m=$(timeit $bench decode "$dir")
  g=$(timeit tool_all gdcmconv --raw)
  if [ -n "$dcmtk" ]; then d=$(timeit tool_all $dcmtk); else d="n/a"; fi
  best=$g; [ "$d" != "n/a" ] && [ "$(echo "$d < $g" | bc)" = 1 ] && best=$d
  printf '| %s | %.2f | %.0f | %.2f | %s | %.2f |\n' "$name" "$m" "$(echo "$native_mb / 1000000 / $m" | bc -l)" "$g" "$d" "$(echo "$best / $m" | bc -l)"
done
