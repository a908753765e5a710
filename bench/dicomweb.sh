#!/usr/bin/env bash
# Issue 4 benchmark: DICOMweb on MedNode (`mednode serve`) and on Orthanc 1.10.1 with its DICOMweb plugin, same machine, same run.
#
# Part 1, STOW-RS and WADO-RS: the synthetic 200-slice 512x512 CT (~105 MB, explicit VR LE, `MedNode.Bench gen-ct`), stored
#   - as one multipart/related request of 200 parts ("one"), and
#   - as 200 single-instance requests, one after the other on one keep-alive connection ("single"),
#   then (after "one") retrieved 3 times as a whole study with WADO-RS (multipart/related; type="application/dicom") by
#   `MedNode.Bench wado` (a new .NET process each time) and 3 times by curl, the time being until the last byte is read.
#   Repetitions are interleaved (mednode, orthanc, mednode, orthanc...); each run starts a fresh server on empty temporary
#   storage, stores a different 20-slice series first and retrieves it once by WADO-RS (untimed warm-up: JIT, EF Core
#   query compilation, SQLite/Orthanc caches), then measures. Reported: wall time, images/s, server CPU-seconds during the
#   request(s) (utime+stime+cutime+cstime from /proc/PID/stat), peak RSS (VmHWM from /proc/PID/status) after the warm-up and
#   after the STOW (equal or close: flat memory), stored/failed counts from the STOW answers, and the CPU time the
#   hypervisor took from this VM during each STOW (steal, /proc/stat; the main source of run-to-run spread here).
# Part 2, QIDO-RS: three servers side by side, MedNode on SQLite, MedNode on PostgreSQL 15 (started by hand on a temp dir and
#   a free port as user postgres, fsync on) and Orthanc, receive the same tiny single-instance studies (8x8 CT, one patient
#   each) by STOW (batches of 500) up to 1, 50 and STUDIES (10,000) studies. At each level `GET /studies` is timed
#   (QIDO_N requests per server in 5 interleaved rounds, 3 untimed requests first, one request at a time); at the last level
#   also `/studies?limit=100` and `/studies?PatientID=<one patient>`. Reported: p50 and p95 latency and the number of results.
# MedNode runs with its defaults (SQLite index, durable ingest) and DOTNET_TieredCompilation=0 as in bench/dimse.sh; Orthanc
# with its defaults (SQLite index, SyncStorageArea=true) plus its DICOMweb plugin. TCP_NODELAY=1 is exported for Orthanc.
# HTTP clients: `MedNode.Bench stow|wado|qido` (HttpClient, bodies built once to files by `MedNode.Bench multipart`).
#
# The loopback ceiling (`bench/loopback-ceiling.py`): after each repetition's MedNode WADO-RS, the body MedNode returned is
#   served from memory by a minimal HTTP server in one send, and timed by curl 3 times ("ceiling" rows): no server can
#   answer that retrieval much faster on this machine, so its ratio to Orthanc bounds what a server could reach here.
# The durable floor (`bench/stow-floor.py`, FLOOR=1): a fourth STOW server that receives each request, writes its body into
#   a journal pre-written with zeros, flushes it (fdatasync) and answers, nothing else ("floor" rows): no server that
#   answers only after its data is on disk can store those requests much faster here, so its ratio to Orthanc bounds what
#   a durable server could reach on this machine.
# MODES="one" (default "one single") runs only those STOW modes (WADO runs after "one").
# BASELINE=DIR (a copy of an earlier build's src/MedNode.Host/bin/Release/net10.0) adds a third server "baseline" to the
#   STOW/WADO interleaving, so that a change is measured before/after in the same run: mednode, baseline, orthanc, ...
#
# usage: bench/dicomweb.sh                   (REPS=3 SLICES=200 STUDIES=10000 QIDO_N=100 PARTS="stow qido")
#        REPS=1 STUDIES=200 QIDO_N=10 bench/dicomweb.sh     (a quick check)
# Run folders are kept until the script exits, then deleted together: on this machine's ext4, which has no journal, a new
# inode is found only after skipping every inode of its block group deleted in roughly the last minute (recently_deleted()
# in fs/ext4/ialloc.c), so deleting the previous run's ~400 files charged the next server 8–16 % more CPU (perf, STOW-RS,
# 2026-11-26 21:10) for every file it created: MedNode, storescp and Orthanc alike, the floors not. For the same reason,
# start a benchmark a minute or more after the previous one (or anything else) deleted many files. Kept, a run's files
# would be written back during the next runs (a deleted file's dirty pages never are): each run ends with a sync.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
reps=${REPS:-3}
slices=${SLICES:-200}
studies=${STUDIES:-10000}
qido_n=${QIDO_N:-100}
parts=${PARTS:-"stow qido"}
work=${WORK:-/tmp/mednode-bench-web}
export TCP_NODELAY=1
mkdir -p "$work"
if [ -z "${SKIP_BUILD:-}" ]; then
  nice dotnet build bench/MedNode.Bench -c Release -v q -nologo >/dev/null
  nice dotnet build src/MedNode.Host -c Release -v q -nologo >/dev/null
fi
bench="dotnet $repo/bench/MedNode.Bench/bin/Release/net10.0/MedNode.Bench.dll"
mednode_dll="$repo/src/MedNode.Host/bin/Release/net10.0/mednode.dll"
orthanc_plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
tick=$(getconf CLK_TCK)
results="$work/results.tsv"
: >"$results"

freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }
# CPU time the hypervisor took from this VM (both cores), in ticks: recorded per STOW run (see bench/dimse.sh).
steal_ticks() { awk '$1 == "cpu" { print $9; exit }' /proc/stat; }
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
cpu_s() { echo "($2 - $1) / $tick" | bc -l; }

# Every server (and PostgreSQL) started here is stopped by its PID on exit.
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "${pg_pid:-}" ] && { kill -QUIT "$pg_pid" 2>/dev/null || true; for _ in $(seq 1 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done; }
  [ -n "${pg_dir:-}" ] && rm -rf "$pg_dir"
  rm -rf "$work"/run-*
}
trap cleanup EXIT
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# wait_http URL PID: until URL answers 2xx (bounded, and not after the server died).
wait_http() {
  for _ in $(seq 1 900); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_mednode DIR [CONNECTION_STRING]: sets SRV (PID) and BASE (DICOMweb root). SQLite unless a PostgreSQL string is given.
start_mednode() {
  local d=$1 http db=(--MedNode:Database:ConnectionString="Data Source=$1/index.db") dll=${MEDNODE_DLL:-$mednode_dll}
  [ -n "${2:-}" ] && db=(--MedNode:Database:Provider=PostgreSQL --MedNode:Database:ConnectionString="$2")
  http=$(freeport)
  (cd "$d" && DOTNET_TieredCompilation=0 exec dotnet "$dll" serve --urls "http://127.0.0.1:$http" \
    --MedNode:Dimse:Port="$(freeport)" --MedNode:Dimse:BindAddress=127.0.0.1 --MedNode:Dimse:StoragePath="$d/store" \
    --MedNode:Dimse:MinFreeBytes=0 --MedNode:Security:AllowAnonymous=true "${db[@]}" --Logging:LogLevel:Default=Warning >"$d/log" 2>&1) &
  SRV=$!; pids+=("$SRV")
  BASE="http://127.0.0.1:$http/dicomweb"
  wait_http "http://127.0.0.1:$http/health/live" "$SRV" || { echo "mednode did not start:" >&2; cat "$d/log" >&2; exit 1; }
}
start_baseline() { MEDNODE_DLL="$BASELINE/mednode.dll" start_mednode "$@"; }
start_orthanc() {
  local d=$1 http
  http=$(freeport)
  cat >"$d/orthanc.json" <<EOF
{ "Name": "bench", "HttpPort": $http, "DicomPort": $(freeport), "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "SaveJobs": false,
  "StorageDirectory": "$d/storage", "IndexDirectory": "$d/index",
  "Plugins": ["$orthanc_plugin"], "DicomWeb": { "Enable": true, "Root": "/dicom-web/" } }
EOF
  Orthanc "$d/orthanc.json" >"$d/log" 2>&1 &
  SRV=$!; pids+=("$SRV")
  BASE="http://127.0.0.1:$http/dicom-web"
  wait_http "http://127.0.0.1:$http/system" "$SRV" || { echo "orthanc did not start:" >&2; cat "$d/log" >&2; exit 1; }
}
start_floor() { # the durable floor (bench/stow-floor.py): receive, write, fdatasync, answer; STOW only
  local d=$1 http
  http=$(freeport)
  /usr/bin/python3 "$repo/bench/stow-floor.py" "$d" "$http" >"$d/log" 2>&1 &
  SRV=$!; pids+=("$SRV")
  BASE="http://127.0.0.1:$http/dicomweb"
  for _ in $(seq 1 300); do grep -q ready "$d/log" 2>/dev/null && return 0; kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
  echo "stow floor did not start:" >&2; cat "$d/log" >&2; exit 1
}
start_postgres() {
  local bin port
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pg_dir=$(mktemp -d /tmp/mednode-bench-pg-XXXXXX); chmod 777 "$pg_dir"
  port=$(freeport)
  runuser -u postgres -- "$bin/initdb" -D "$pg_dir/data" -U mednode -A trust -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1
  runuser -u postgres -- "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -o "-h 127.0.0.1 -p $port -k $pg_dir" -w -t 60 start >/dev/null
  pg_pid=$(head -1 "$pg_dir/data/postmaster.pid")
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U mednode -E UTF8 bench
  PG="Host=127.0.0.1;Port=$port;Username=mednode;Database=bench"
}

# ---- inputs (kept in $work between runs) ----------------------------------------------------------------------------
ct="$work/ct$slices"
[ -d "$ct" ] || $bench gen-ct "$ct" "$slices" >/dev/null
[ -d "$work/warm" ] || $bench gen-ct "$work/warm" 20 >/dev/null
[ -d "$work/body-one" ] || $bench multipart "$ct" "$work/body-one" "$slices" >/dev/null
[ -d "$work/body-single" ] || $bench multipart "$ct" "$work/body-single" 1 >/dev/null
[ -d "$work/body-warm" ] || $bench multipart "$work/warm" "$work/body-warm" 20 >/dev/null
ct_bytes=$(cat "$ct"/*.dcm | wc -c)
study_uid=$(dcmdump -s +P 0020,000d "$(ls "$ct"/*.dcm | head -1)" | sed 's/.*\[\(.*\)\].*/\1/')
warm_uid=$(dcmdump -s +P 0020,000d "$(ls "$work/warm"/*.dcm | head -1)" | sed 's/.*\[\(.*\)\].*/\1/')

echo "# $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- part 1: STOW-RS and WADO-RS -----------------------------------------------------------------------------------
stow_run() { # SERVER MODE REP
  local srv=$1 mode=$2 rep=$3 d c0 c1 h0 out
  d=$(mktemp -d "$work/run-$srv-XXXXXX")
  "start_$srv" "$d"
  out=$($bench stow "$BASE/studies" "$work/body-warm") || exit 1
  [ "$(cut -f2 <<<"$out")" = 20 ] || { echo "warm-up STOW to $srv: $out" >&2; exit 1; }
  # The warm-up also retrieves that series once by WADO-RS, so that the timed first retrieval is not the first call of
  # the path (JIT with DOTNET_TieredCompilation=0, EF Core query compilation).
  [ "$srv" = floor ] || $bench wado "$BASE/studies/$warm_uid" >/dev/null || exit 1
  local s0 s1
  h0=$(hwm_kib "$SRV"); c0=$(cpu_ticks "$SRV"); s0=$(steal_ticks)
  out=$($bench stow "$BASE/studies" "$work/body-$mode") || exit 1
  c1=$(cpu_ticks "$SRV"); s1=$(steal_ticks)
  printf 'stow\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\t%.2f\n' "$srv" "$mode" "$rep" "$(cut -f1 <<<"$out")" "$(cpu_s "$c0" "$c1")" \
    "$h0" "$(hwm_kib "$SRV")" "$(cut -f2 <<<"$out")" "$(cut -f3 <<<"$out")" "$(cpu_s "$s0" "$s1")" | tee -a "$results"
  [ "$(cut -f2 <<<"$out")" = "$slices" ] || echo "WARNING: $srv stored $(cut -f2 <<<"$out") of $slices" >&2
  if [ "$mode" = one ] && [ "$srv" != floor ]; then
    local i w
    for i in 1 2 3; do
      c0=$(cpu_ticks "$SRV")
      w=$($bench wado "$BASE/studies/$study_uid") || exit 1
      c1=$(cpu_ticks "$SRV")
      printf 'wado\t%s\t-\t%s.%s\t%s\t%.2f\t-\t%s\t%s\t%s\n' "$srv" "$rep" "$i" "$(cut -f1 <<<"$w")" "$(cpu_s "$c0" "$c1")" \
        "$(hwm_kib "$SRV")" "$(cut -f3 <<<"$w")" "$(cut -f2 <<<"$w")" | tee -a "$results"
      [ "$(cut -f3 <<<"$w")" = "$slices" ] && [ "$(cut -f2 <<<"$w")" -gt "$ct_bytes" ] || echo "WARNING: $srv WADO returned $w" >&2
    done
    # The same retrieval by curl (no client start-up or JIT in the time: the bench client above is a new .NET process per
    # retrieval, and its own first request is part of its time).
    for i in 1 2 3; do
      c0=$(cpu_ticks "$SRV")
      w=$(curl -sf -o /dev/null -H 'Accept: multipart/related; type="application/dicom"' -w '%{time_total}\t%{size_download}' "$BASE/studies/$study_uid") || exit 1
      c1=$(cpu_ticks "$SRV")
      printf 'wadoc\t%s\t-\t%s.%s\t%s\t%.2f\t-\t%s\t-\t%s\n' "$srv" "$rep" "$i" "$(cut -f1 <<<"$w")" "$(cpu_s "$c0" "$c1")" \
        "$(hwm_kib "$SRV")" "$(cut -f2 <<<"$w")" | tee -a "$results"
      [ "$(cut -f2 <<<"$w")" -gt "$ct_bytes" ] || echo "WARNING: $srv WADO (curl) returned $w" >&2
    done
    [ "$srv" = mednode ] && curl -sf -o "$work/wado-body" -H 'Accept: multipart/related; type="application/dicom"' "$BASE/studies/$study_uid"
  fi
  stop "$SRV"; sync  # the run's files written back before the next run (see the note on run folders above)
}
ceiling_run() { # REP: the loopback ceiling, timed by curl like the servers' WADO-RS
  local rep=$1 port i w
  [ -s "$work/wado-body" ] || return 0
  port=$(freeport)
  coproc CEIL { exec /usr/bin/python3 "$repo/bench/loopback-ceiling.py" "$work/wado-body" "$port"; }
  local cpid=$CEIL_PID; pids+=("$cpid")
  read -r _ <&"${CEIL[0]}"
  for i in 1 2 3; do
    w=$(curl -sf -o /dev/null -w '%{time_total}\t%{size_download}' "http://127.0.0.1:$port/studies/$study_uid") || exit 1
    printf 'wadoc\tceiling\t-\t%s.%s\t%s\t-\t-\t-\t-\t%s\n' "$rep" "$i" "$(cut -f1 <<<"$w")" "$(cut -f2 <<<"$w")" | tee -a "$results"
  done
  stop "$cpid"
}
if [[ " $parts " == *" stow "* ]]; then
  echo -e "# part\tserver\tmode\trep\tseconds\tcpu_s\thwm_before_kib\thwm_kib\tstored|parts\tfailed|bytes\tsteal_s (stow rows)"
  for rep in $(seq 1 "$reps"); do
    for mode in ${MODES:-one single}; do
      for srv in mednode ${BASELINE:+baseline} orthanc ${FLOOR:+floor}; do stow_run "$srv" "$mode" "$rep"; done
      [ "$mode" = one ] && ceiling_run "$rep"
    done
  done
fi

# ---- part 2: QIDO-RS -----------------------------------------------------------------------------------------------
if [[ " $parts " == *" qido "* ]]; then
  q="$work/qido$studies"
  if [ ! -d "$q/b3" ]; then
    rm -rf "$q"
    $bench gen-studies "$q/s1" 1 0; $bench gen-studies "$q/s2" 49 1; $bench gen-studies "$q/s3" $((studies - 50)) 50
    for i in 1 2 3; do $bench multipart "$q/s$i" "$q/b$i" 500 >/dev/null; done
  fi
  lat="$work/latency"; rm -rf "$lat"; mkdir -p "$lat"
  start_postgres
  declare -A base pid
  d=$(mktemp -d "$work/run-sqlite-XXXXXX"); start_mednode "$d"; base[mednode-sqlite]=$BASE; pid[mednode-sqlite]=$SRV
  d=$(mktemp -d "$work/run-pg-XXXXXX"); start_mednode "$d" "$PG"; base[mednode-pg]=$BASE; pid[mednode-pg]=$SRV
  d=$(mktemp -d "$work/run-orthanc-XXXXXX"); start_orthanc "$d"; base[orthanc]=$BASE; pid[orthanc]=$SRV
  servers="mednode-sqlite mednode-pg orthanc"
  qido() { # LEVEL NAME QUERY COUNT WARMUP MAXSEC
    local round s n
    for round in 1 2 3 4 5; do
      for s in $servers; do
        n=$($bench qido "${base[$s]}/studies$3" $(($4 / 5)) "$6" "$lat/$1-$2-$s" "$5") || exit 1
        echo "$n" >"$lat/$1-$2-$s.results"
      done
    done
  }
  for i in 1 2 3; do
    for s in $servers; do
      out=$($bench stow "${base[$s]}/studies" "$q/b$i") || exit 1
      printf 'load\t%s\t-\t%s\t%s\t-\t-\t-\t%s\t%s\n' "$s" "b$i" "$(cut -f1 <<<"$out")" "$(cut -f2 <<<"$out")" "$(cut -f3 <<<"$out")" | tee -a "$results"
    done
    case $i in 1) level=1 ;; 2) level=50 ;; 3) level=$studies ;; esac
    # Orthanc answers every study (10,000 at the last level; MedNode stops at MaxQueryResults, 1000, with a Warning header):
    # fewer untimed requests and at most 20 s per round there.
    if [ "$i" = 3 ]; then qido "$level" studies "" "$qido_n" 1 20; else qido "$level" studies "" "$qido_n" 3 30; fi
    if [ "$i" = 3 ]; then
      qido "$level" limit100 "?limit=100" "$qido_n" 3 30
      qido "$level" patientid "?PatientID=BENCH-$(printf %06d $((studies / 2)))" "$qido_n" 3 30
    fi
  done
  for s in $servers; do
    printf 'rss\t%s\t-\t-\t-\t-\t-\t%s\t-\t-\n' "$s" "$(hwm_kib "${pid[$s]}")" | tee -a "$results"
  done
fi

echo "# finished $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- summary --------------------------------------------------------------------------------------------------------
/usr/bin/python3 - "$results" "${lat:-}" "$slices" "$ct_bytes" <<'EOF'
import sys, os, statistics as st
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
lat, images, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
med = {}
stow = [r for r in rows if r[0] == "stow"]
if stow:
    print(f"\n## STOW-RS, {images} images, {size / 1e6:.1f} MB (medians)\n")
    print("| server | requests | runs | seconds | images/s | server CPU-s | peak RSS after warm-up MiB | peak RSS after STOW MiB | steal s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for mode in ("one", "single"):
        for srv in ("mednode", "baseline", "orthanc", "floor"):
            rs = [r for r in stow if r[1] == srv and r[2] == mode]
            if not rs: continue
            s = st.median(float(r[4]) for r in rs); med[("stow", mode, srv)] = s
            med[("stowcpu", mode, srv)] = st.median(float(r[5]) for r in rs)
            label = "1 × 200 parts" if mode == "one" else f"{images} × 1 part"
            print(f"| {srv} | {label} | {len(rs)} | {s:.2f} | {images / s:.0f} | {st.median(float(r[5]) for r in rs):.2f} | "
                  f"{st.median(int(r[6]) for r in rs) / 1024:.0f} | {st.median(int(r[7]) for r in rs) / 1024:.0f} | "
                  f"{st.median(float(r[10]) for r in rs) if all(len(r) > 10 for r in rs) else float('nan'):.2f} |")
def wado_table(kind, title, rss):
    """Medians per server of the WADO rows of one kind ("wado": MedNode.Bench, "wadoc": curl); fills med[(kind, srv)]."""
    rs_all = [r for r in rows if r[0] == kind]
    if not rs_all: return rs_all
    print(f"\n## {title}, {images} instances (medians)\n")
    print("| server | retrievals | seconds | images/s | MB/s | server CPU-s |" + (" peak RSS MiB |" if rss else ""))
    print("| --- | --- | --- | --- | --- | --- |" + (" --- |" if rss else ""))
    for srv in ("mednode", "baseline", "orthanc", "ceiling"):
        rs = [r for r in rs_all if r[1] == srv]
        if not rs: continue
        s = st.median(float(r[4]) for r in rs); med[(kind, srv)] = s
        cpu = "-"
        if srv != "ceiling":  # the ceiling's server is a Python loop: its CPU is not comparable, so not taken
            med[(kind + "cpu", srv)] = st.median(float(r[5]) for r in rs); cpu = f"{med[(kind + 'cpu', srv)]:.2f}"
        print(f"| {srv} | {len(rs)} | {s:.3f} | {images / s:.0f} | {int(rs[0][9]) / 1e6 / s:.0f} | {cpu} |"
              + (f" {st.median(int(r[7]) for r in rs) / 1024:.0f} |" if rss else ""))
    return rs_all
wado = wado_table("wado", "WADO-RS whole study", rss=True)
if wado:
    # The first retrieval after the STOW is where a server that checks stored files on first read pays for it.
    print("\n| server | first retrieval after the STOW: seconds | server CPU-s | later retrievals: seconds | server CPU-s |")
    print("| --- | --- | --- | --- | --- |")
    for srv in ("mednode", "baseline", "orthanc"):
        first = [r for r in wado if r[1] == srv and r[3].endswith(".1")]
        later = [r for r in wado if r[1] == srv and not r[3].endswith(".1")]
        if first and later:
            print(f"| {srv} | {st.median(float(r[4]) for r in first):.3f} | {st.median(float(r[5]) for r in first):.2f} | "
                  f"{st.median(float(r[4]) for r in later):.3f} | {st.median(float(r[5]) for r in later):.2f} |")
wado_table("wadoc", "WADO-RS whole study by curl", rss=False)
load = [r for r in rows if r[0] == "load"]
if load:
    print("\n## QIDO-RS data load (STOW of tiny single-instance studies, batches of 500)\n")
    print("| server | batch set | seconds | stored | failed |")
    print("| --- | --- | --- | --- | --- |")
    for r in load: print(f"| {r[1]} | {r[3]} | {float(r[4]):.1f} | {r[8]} | {r[9]} |")
if lat and os.path.isdir(lat):
    def pct(xs, p):
        xs = sorted(xs); return xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))]
    print("\n## QIDO-RS latency, one request at a time (ms)\n")
    print("| studies | query | server | requests | results | p50 | p95 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    files = [f for f in os.listdir(lat) if not f.endswith(".results")]
    def key(f):
        lvl, q, s = f.split("-", 2); return (int(lvl), ["studies", "limit100", "patientid"].index(q), s)
    for f in sorted(files, key=key):
        lvl, q, s = f.split("-", 2)
        xs = [float(x) for x in open(os.path.join(lat, f)) if x.strip()]
        res = open(os.path.join(lat, f + ".results")).read().strip()
        med[("qido", lvl, q, s)] = st.median(xs); med[("n", lvl, q, s)] = res
        query = {"studies": "/studies", "limit100": "/studies?limit=100", "patientid": "/studies?PatientID=…"}[q]
        print(f"| {lvl} | `{query}` | {s} | {len(xs)} | {res} | {pct(xs, 50):.1f} | {pct(xs, 95):.1f} |")
print("\n## ratios (Orthanc time / MedNode time: above 1 means MedNode is faster)\n")
for mode in ("one", "single"):
    if ("stow", mode, "mednode") in med and ("stow", mode, "orthanc") in med:
        print(f"- STOW {mode}: {med[('stow', mode, 'orthanc')] / med[('stow', mode, 'mednode')]:.2f} (target ≥ 3)"
              + (f"; baseline {med[('stow', mode, 'orthanc')] / med[('stow', mode, 'baseline')]:.2f}" if ("stow", mode, "baseline") in med else ""))
    if ("stow", mode, "floor") in med and ("stow", mode, "orthanc") in med:
        print(f"- STOW {mode}, the durable floor (receive, write into a pre-written journal, fdatasync, answer): "
              f"{med[('stow', mode, 'orthanc')] / med[('stow', mode, 'floor')]:.2f} × Orthanc: what a server that answers only after a flush reaches here")
if ("wado", "mednode") in med and ("wado", "orthanc") in med:
    print(f"- WADO study: {med[('wado', 'orthanc')] / med[('wado', 'mednode')]:.2f} (target ≥ 2)"
          + (f"; baseline {med[('wado', 'orthanc')] / med[('wado', 'baseline')]:.2f}" if ("wado", "baseline") in med else ""))
if ("wadoc", "mednode") in med and ("wadoc", "orthanc") in med:
    print(f"- WADO study (curl): {med[('wadoc', 'orthanc')] / med[('wadoc', 'mednode')]:.2f} (target ≥ 2)"
          + (f"; baseline {med[('wadoc', 'orthanc')] / med[('wadoc', 'baseline')]:.2f}" if ("wadoc", "baseline") in med else ""))
if ("wadoc", "ceiling") in med and ("wadoc", "orthanc") in med:
    print(f"- WADO study (curl), the loopback ceiling (MedNode's body from memory, one send): {med[('wadoc', 'orthanc')] / med[('wadoc', 'ceiling')]:.2f}"
          " × Orthanc: what a server that holds the body in memory and sends it in one call reaches here")
print("\n## server CPU-seconds ratios (Orthanc CPU / MedNode CPU: above 1 means MedNode spends less; robust to a busy machine)\n")
for key in [("stowcpu", "one"), ("stowcpu", "single"), ("wadocpu",), ("wadoccpu",)]:  # (not the floor: a Python loop)
    o, m, b = med.get(key + ("orthanc",)), med.get(key + ("mednode",)), med.get(key + ("baseline",))
    if o and m: print(f"- {' '.join(key)}: {o / m:.2f}" + (f"; baseline {o / b:.2f}" if b else ""))
for k in sorted(k for k in med if k[0] == "qido" and k[3] != "orthanc"):
    o = med.get(("qido", k[1], k[2], "orthanc"))
    same = med.get(("n", k[1], k[2], "orthanc")) == med.get(("n", k[1], k[2], k[3]))
    if o: print(f"- QIDO {k[2]} at {k[1]} studies, {k[3]}: p50 ratio {o / med[k]:.2f}" + ("" if same else " (not comparable: different result counts)"))
EOF
