#!/usr/bin/env bash
# Issue 3 benchmark: C-STORE throughput of a synthetic 512x512 CT series (200 slices, ~105 MB by default), sent by DCMTK
# storescu to three receivers on this machine in the same run, interleaved (A,B,C,A,B,C...) so that the ratios stay fair on
# a noisy machine:
#   storescp   DCMTK 3.6.7, writes each file, no fsync, no index (--fork for parallel associations)
#   mednode    `mednode serve` (SQLite index, durable ingest: acknowledged only when on disk and indexed)
#   orthanc    Orthanc 1.10.1 (SQLite index, fsync of each file: SyncStorageArea defaults to true)
#   floor      storescp --ignore: receives every data set and answers, stores nothing. Not a competitor: DCMTK's receive
#              path without storage. It is not storescu's pace: the durable floor below, without its fdatasync, took
#              0.18 s per 200 against its 0.29-0.33 s (bench/RESULTS.md, C-STORE, 2026-11-26 22:29), so it bounds nothing
#   durable    bench/durable-floor.c (built here with cc): answers each C-STORE only after an fdatasync of a pre-written
#              journal that holds its data set, and does nothing else (no file per instance, no index, no checksum). Not
#              a competitor either: the leanest durable receiver, so the floor under MedNode's contract on this machine
#   dotnet-journal  `MedNode.Bench durable-scp --hash --parse --index` (bench/MedNode.Bench/DurableScp.cs): the durable floor
#              in C#, a thread per association with blocking socket calls, plus the contract's own work with MedNode's own
#              parts: SHA-256 of each fragment as it arrives, MedNode's parser up to the pixel data, and MedNode's SQLite
#              index (duplicate lookup, insert, aggregates), all before the answer. It keeps no file per instance. Not a
#              competitor: what a C# node could reach without MedNode's architecture
#   dotnet-materialize  dotnet-journal, plus the stored file made from the journal record after each answer by a thread of
#              the association (copy_file_range, rename; no sync), and every file made from a journal synced (syncfs)
#              before the journal is reused: a node that answers from its journal and keeps a file per instance
#   dotnet-file  dotnet-journal's work with a new file per instance made durable before the answer instead of the journal
#              (create, write, fdatasync, rename, the folder's fsync): a node that has the stored file before it answers
#   dotnet-pool  dotnet-file, but into files made before the send (256 files of 1 MiB, written with zeros and synced), with
#              the data set's length in the file's last 4 KiB, one fdatasync, then truncated and renamed without a sync
# each with 1 association and with 4 parallel associations (the files dealt round-robin to 4 storescu processes).
# TCP_NODELAY=1 is exported for DCMTK and Orthanc; MedNode sets NoDelay itself. Every repetition starts a fresh server on
# empty temporary storage and free ports, and stops it by PID.
# Reported per run: wall time of the send, images/s, MB/s, server CPU-seconds during the send (utime+stime, children
# included), server peak RSS (VmHWM, or /usr/bin/time's max RSS for storescp --fork children), and the CPU time the
# hypervisor took from this VM during the send (steal, /proc/stat; both cores): on a shared host it reached 0.4-0.9 s in
# a 1-2 s send (2026-11-26 22:40), the main source of this VM's run-to-run spread. The medians leave out runs with more
# than STEAL_MAX seconds of steal (default 0.05) when a receiver has any run under it; "runs" says kept/all.
#
# usage: bench/dimse.sh                 (REPS=5 SLICES=200 RECEIVERS="storescp mednode orthanc" ASSOCS="1 4")
#        SLICES=400 REPS=3 bench/dimse.sh
#        MEDNODE_TIERED=1 bench/dimse.sh   (tiered JIT on, as `mednode serve` runs by default)
#        BASELINE_DLL=/tmp/base/mednode.dll RECEIVERS="baseline mednode" bench/dimse.sh   (an older build, interleaved)
#        RECEIVERS="floor storescp mednode orthanc" bench/dimse.sh   (with the protocol floor)
#        RECEIVERS="floor durable storescp mednode orthanc" bench/dimse.sh   (and the durable floor; needs cc)
#        RECEIVERS="durable dotnet-journal dotnet-materialize dotnet-pool dotnet-file storescp mednode orthanc" bench/dimse.sh   (C# floors)
#        MEDNODE_TIERED=default ...         (no DOTNET_TieredCompilation in the environment: the runtimeconfig decides)
# MedNode's own stage timers (mednode_ingest_stage_seconds, mednode_store_commit_stage_seconds) are read from /metrics
# before and after each send, and printed as milliseconds per instance after the medians.
# Run folders are kept until the script exits, then deleted together: on this machine's ext4, which has no journal, a new
# inode is found only after skipping every inode of its block group deleted in roughly the last minute (recently_deleted()
# in fs/ext4/ialloc.c), so deleting the previous run's ~400 files charged the next server 8–16 % more CPU (perf, STOW-RS,
# 2026-11-26 21:10) for every file it created: MedNode, storescp and Orthanc alike, the floors not. For the same reason,
# start a benchmark a minute or more after the previous one (or anything else) deleted many files. Kept, a run's files
# would be written back during the next runs (a deleted file's dirty pages never are): each run ends with a sync.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
reps=${REPS:-5}
slices=${SLICES:-200}
receivers=${RECEIVERS:-"storescp mednode orthanc"}
assocs=${ASSOCS:-"1 4"}
work=${WORK:-/tmp/mednode-bench-dimse}
export TCP_NODELAY=1
mkdir -p "$work"
if [ -z "${SKIP_BUILD:-}" ]; then
  nice dotnet build bench/MedNode.Bench -c Release -v q -nologo >/dev/null
  nice dotnet build src/MedNode.Host -c Release -v q -nologo >/dev/null
fi
bench="dotnet $repo/bench/MedNode.Bench/bin/Release/net10.0/MedNode.Bench.dll"
if [[ " $receivers " = *" durable "* ]]; then
  cc -O2 -pthread -o "$work/durable-floor" bench/durable-floor.c || { echo "the durable floor needs a C compiler (cc)" >&2; exit 1; }
fi
mednode_dll="$repo/src/MedNode.Host/bin/Release/net10.0/mednode.dll"
baseline_dll=${BASELINE_DLL:-}
ct="$work/ct$slices"
[ -d "$ct" ] || $bench gen-ct "$ct" "$slices" >/dev/null
# Every server first receives a different 20-slice series (not timed): a node runs for months, so the figures are for a
# warm process (for MedNode: JIT and EF Core query compilation done), and the same for all receivers.
[ -d "$work/warm" ] || $bench gen-ct "$work/warm" 20 >/dev/null
warm=("$work"/warm/*.dcm)
mapfile -t files < <(ls "$ct"/*.dcm | sort)
bytes=$(cat "${files[@]}" | wc -c)
tick=$(getconf CLK_TCK)
results="$work/results-$slices.tsv"
stages="$work/stages-$slices.tsv"
trap 'rm -rf "$work"/run-*' EXIT
: > "$results"
: > "$stages"

freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# utime+stime+cutime+cstime of a process, in ticks (PS3 nothing: proc(5), fields 14-17).
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }
steal_ticks() { awk '$1 == "cpu" { print $9; exit }' /proc/stat; }
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
# The sums of MedNode's ingest and commit stage histograms (mednode_ingest_stage_seconds, mednode_store_commit_stage_seconds).
stage_sums() { curl -s "http://127.0.0.1:$1/metrics" | awk '/^mednode_(ingest_stage|store_commit_stage)_seconds_sum/ { print $1, $2 }'; }
child_of() { local t; for _ in $(seq 1 100); do t=$(pgrep -P "$1" | head -1 || true); [ -n "$t" ] && { echo "$t"; return; }; sleep 0.05; done; return 1; }
wait_echo() { for _ in $(seq 1 600); do echoscu -aec "$1" 127.0.0.1 "$2" >/dev/null 2>&1 && return 0; kill -0 "$3" 2>/dev/null || return 1; sleep 0.1; done; return 1; }

# start_<receiver> DIR ASSOCS: sets SRV (server PID), TPID (/usr/bin/time PID), PORT, AET.
start_storescp() {
  local d=$1 n=$2 fork=(); HTTP=
  [ "$n" -gt 1 ] && fork=(--fork)
  PORT=$(freeport); AET=STORESCP
  mkdir -p "$d/out"
  /usr/bin/time -f '%M' -o "$d/time" storescp "${fork[@]}" ${3:-} -aet "$AET" -od "$d/out" "$PORT" >"$d/log" 2>&1 &
  TPID=$!; SRV=$(child_of $TPID)
}
start_floor() { start_storescp "$1" "$2" --ignore; }
# A journal file per association (64 MiB, reused from its start when full), written and synced before it listens.
start_durable() {
  local d=$1 n=$2; HTTP=
  PORT=$(freeport); AET=DURABLE
  mkdir -p "$d/journal"
  /usr/bin/time -f '%M' -o "$d/time" "$work/durable-floor" "$PORT" "$d/journal" "$n" 64 >"$d/log" 2>&1 &
  TPID=$!; SRV=$(child_of $TPID)
}
# MedNode.Bench durable-scp: four pre-written journals (64 MiB each), one per association at a time.
start_dotnet() {
  local d=$1 tiered=(); HTTP=
  PORT=$(freeport); AET=DURABLESCP
  [ "${MEDNODE_TIERED:-0}" = default ] || tiered=("DOTNET_TieredCompilation=${MEDNODE_TIERED:-0}")
  /usr/bin/time -f '%M' -o "$d/time" env "${tiered[@]}" dotnet "$repo/bench/MedNode.Bench/bin/Release/net10.0/MedNode.Bench.dll" \
    durable-scp "$PORT" "$d/scp" "${@:3}" --hash --parse --index >"$d/log" 2>&1 &
  TPID=$!; SRV=$(child_of $TPID)
}
start_dotnet-journal() { start_dotnet "$1" "$2"; }
start_dotnet-file() { start_dotnet "$1" "$2" --file; }
start_dotnet-pool() { start_dotnet "$1" "$2" --pool=zero; }
start_dotnet-materialize() { start_dotnet "$1" "$2" --materialize; }
start_baseline() { start_mednode "$1" "$2" "$baseline_dll"; }
start_mednode() {
  local d=$1 dll=${3:-$mednode_dll} tiered=()
  local http; http=$(freeport); PORT=$(freeport); AET=MEDNODE; HTTP=$http
  # Tiered JIT off: a long-running server compiles optimized code once instead of re-compiling EF Core's paths during the run.
  [ "${MEDNODE_TIERED:-0}" = default ] || tiered=("DOTNET_TieredCompilation=${MEDNODE_TIERED:-0}")
  (cd "$d" && exec env "${tiered[@]}" /usr/bin/time -f '%M' -o "$d/time" dotnet "$dll" serve --urls "http://127.0.0.1:$http" \
    --MedNode:Dimse:Port="$PORT" --MedNode:Dimse:BindAddress=127.0.0.1 --MedNode:Dimse:StoragePath="$d/store" \
    --MedNode:Dimse:MinFreeBytes=0 --MedNode:Database:ConnectionString="Data Source=$d/index.db" \
    --Logging:LogLevel:Default=Warning >"$d/log" 2>&1) &
  TPID=$!; SRV=$(child_of $TPID)
}
start_orthanc() {
  local d=$1; HTTP=
  PORT=$(freeport); AET=ORTHANC
  cat >"$d/orthanc.json" <<EOF
{ "Name": "bench", "HttpPort": $(freeport), "DicomPort": $PORT, "DicomAet": "$AET",
  "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
  "StorageDirectory": "$d/storage", "IndexDirectory": "$d/index", "Plugins": [] }
EOF
  /usr/bin/time -f '%M' -o "$d/time" Orthanc "$d/orthanc.json" >"$d/log" 2>&1 &
  TPID=$!; SRV=$(child_of $TPID)
}
stored_count() {
  case $1 in
    storescp) find "$2/out" -type f | wc -l ;;
    floor|durable) echo $(( ${#warm[@]} + ${#files[@]} )) ;; # no file per instance by design; storescu's exit status says each was answered
    mednode|baseline) find "$2/store" -path "$2/store/.*" -prune -o -name '*.dcm' -type f -print | wc -l ;;
    orthanc) find "$2/storage" -type f -name '*-*' | wc -l ;;
    dotnet-journal|dotnet-file|dotnet-pool|dotnet-materialize) /usr/bin/python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from Instance").fetchone()[0])' "$2/scp/index.db" ;;
  esac
}

run_one() {
  local recv=$1 n=$2 rep=$3 d
  d=$(mktemp -d "$work/run-$recv-XXXXXX")
  "start_$recv" "$d" "$n"
  wait_echo "$AET" "$PORT" "$SRV" || { echo "$recv did not start; log:" >&2; cat "$d/log" >&2; kill -TERM "$SRV" 2>/dev/null; exit 1; }
  # MedNode's DIMSE listener answers before the web host has finished starting; on a loaded machine that start-up (JIT of
  # the ASP.NET pipeline) ran into the timed send and was counted as ingest CPU. Wait for any HTTP answer too.
  if [ -n "${HTTP:-}" ]; then
    for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$HTTP/health/live" >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  storescu -aec "$AET" 127.0.0.1 "$PORT" "${warm[@]}" >"$d/warm.log" 2>&1 || { echo "warm-up send to $recv failed" >&2; kill -TERM "$SRV"; exit 1; }
  local groups=() i
  for ((i = 0; i < n; i++)); do groups[i]=""; done
  for i in "${!files[@]}"; do groups[i % n]+="${files[i]}"$'\n'; done
  local c0 t0 t1 c1 pids=() fail=0
  local s0 s1 m0=""
  [ -n "${HTTP:-}" ] && m0=$(stage_sums "$HTTP")
  c0=$(cpu_ticks "$SRV"); s0=$(steal_ticks); t0=$(date +%s.%N)
  for ((i = 0; i < n; i++)); do
    mapfile -t g <<<"${groups[i]%$'\n'}"
    storescu -aec "$AET" 127.0.0.1 "$PORT" "${g[@]}" >"$d/scu$i.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail=1; done
  t1=$(date +%s.%N); s1=$(steal_ticks)
  [[ "$recv" = storescp || "$recv" = floor ]] && [ "$n" -gt 1 ] && echoscu -aec "$AET" 127.0.0.1 "$PORT" >/dev/null 2>&1 || true # lets storescp reap its children (their CPU counts in cutime)
  c1=$(cpu_ticks "$SRV")
  # MedNode's own timing of each ingest stage (/metrics), as milliseconds per instance of this send; builds without it print none.
  if [ -n "$m0" ]; then
    printf '%s\n' "$m0" >"$d/stages0"; stage_sums "$HTTP" >"$d/stages1"
    awk -v r="$recv" -v n="$n" -v rep="$rep" -v k="${#files[@]}" 'NR == FNR { a[$1] = $2; next } ($1 in a) { printf "%s\t%s\t%s\t%s\t%.3f\n", r, n, rep, $1, ($2 - a[$1]) / k * 1000 }' \
      "$d/stages0" "$d/stages1" >>"$stages"
  fi
  local hwm; hwm=$(hwm_kib "$SRV")
  kill -TERM "$SRV"; wait "$TPID" 2>/dev/null || true
  local rss; rss=$(cat "$d/time" 2>/dev/null | tail -1); [[ "$rss" =~ ^[0-9]+$ ]] || rss=$hwm
  [ "$rss" -lt "$hwm" ] && rss=$hwm
  local stored; stored=$(stored_count "$recv" "$d")
  [ $fail -eq 0 ] || { echo "storescu failed against $recv:" >&2; tail -5 "$d"/scu*.log >&2; }
  stored=$((stored - ${#warm[@]}))
  [ "$stored" -eq "${#files[@]}" ] || echo "WARNING: $recv stored $stored of ${#files[@]} files" >&2
  local secs; secs=$(echo "$t1 - $t0" | bc -l)
  printf '%s\t%s\t%s\t%.3f\t%.2f\t%s\t%s\t%s\t%.2f\n' "$recv" "$n" "$rep" "$secs" "$(echo "($c1 - $c0) / $tick" | bc -l)" "$rss" "$stored" "$fail" "$(echo "($s1 - $s0) / $tick" | bc -l)" | tee -a "$results"
  sync  # the run's files written back before the next run (see the note on run folders above)
}

echo "# $slices slices, $bytes bytes, $reps repetitions, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo -e "# receiver\tassocs\trep\tseconds\tcpu_s\tpeak_rss_kib\tstored\tfailed\tsteal_s"
for rep in $(seq 1 "$reps"); do
  for n in $assocs; do
    for recv in $receivers; do run_one "$recv" "$n" "$rep"; done
  done
done

/usr/bin/python3 - "$results" "${#files[@]}" "$bytes" "${STEAL_MAX:-0.05}" "$stages" <<'EOF'
import sys, statistics as st
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
images, size, steal_max = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
stage_rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[5]) if l.strip()]
groups = {}
for r in rows:
    groups.setdefault((r[0], int(r[1])), []).append(r)
total = {k: len(rs) for k, rs in groups.items()}
by = {k: [r for r in rs if float(r[8]) <= steal_max] or rs for k, rs in groups.items()}  # no quiet run: all of them
print(f"\n## medians ({images} images, {size / 1e6:.1f} MB; runs with over {steal_max} s of steal left out where a quieter run exists)\n")
print("| receiver | associations | runs | seconds | images/s | MB/s | server CPU-s | peak RSS MiB | steal s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
med = {}
for (recv, n), rs in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    s = st.median(float(r[3]) for r in rs)
    med[(recv, n)] = s
    print(f"| {recv} | {n} | {len(rs)}/{total[(recv, n)]} | {s:.2f} | {images / s:.0f} | {size / 1e6 / s:.0f} | {st.median(float(r[4]) for r in rs):.2f} | {st.median(int(r[5]) for r in rs) / 1024:.0f} | {st.median(float(r[8]) for r in rs):.2f} |")
print()
for n in sorted({k[1] for k in med}):
    m = med.get(("mednode", n))
    if m is None: continue
    for other in ("storescp", "orthanc"):
        o = med.get((other, n))
        if o: print(f"{n} association(s): mednode throughput / {other} = {o / m:.2f}")
    f = med.get(("floor", n))
    if f:
        print(f"{n} association(s): floor (storescp --ignore) {f:.2f} s; mednode spends {m - f:.2f} s above it"
              + "".join(f", {other} {med[(other, n)] - f:.2f} s" for other in ("durable", "storescp", "orthanc") if (other, n) in med))
    d = med.get(("durable", n))
    if d:
        print(f"{n} association(s): durable floor {d:.2f} s"
              + "".join(f"; {other} / durable = {med[(other, n)] / d:.2f}" for other in ("storescp", "orthanc") if (other, n) in med)
              + " (the most a durable receiver reached against each)")
if stage_rows:
    # MedNode's own stage timers, ms per instance, medians over the same runs as the table above.
    kept = {(r[0], int(r[1]), r[2]) for rs in by.values() for r in rs}
    per = {}
    for recv, n, rep, series, ms in stage_rows:
        if (recv, int(n), rep) in kept:
            per.setdefault((recv, int(n)), {}).setdefault(series, []).append(float(ms))
    order = ["parse", "lookup", "commit", "index", "notify", "commit hash", "commit flush", "commit place"]
    label = lambda x: ("commit " if "commit_stage" in x else "") + x.split('stage="')[1].rstrip('"}')
    names = sorted({k for v in per.values() for k in v}, key=lambda x: order.index(label(x)) if label(x) in order else len(order))
    print("\n## MedNode's stage timers (/metrics), ms per instance, medians\n")
    print("| receiver | associations | " + " | ".join(label(x) for x in names) + " |")
    print("| --- | --- |" + " --- |" * len(names))
    for (recv, n), v in sorted(per.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"| {recv} | {n} | " + " | ".join(f"{st.median(v[x]):.2f}" if x in v else "—" for x in names) + " |")
EOF
