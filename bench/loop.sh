#!/usr/bin/env bash
# Issue 8 benchmark: the loop's latency. DCMTK storescu sends a synthetic 200-slice 512x512 CT (one association) to
# `mednode serve`; the series completes on the association's release (MedNode:Completion:CompleteOnAssociationRelease);
# a CT rule runs the bundled sts-ct model on the CPU; the SEG and the SR go back by C-STORE to Orthanc 1.10.1, the PACS.
# Latency = from storescu's exit (every instance acknowledged, association released) to the moment Orthanc's REST API
# lists both results of that study (polled every 250 ms). Then STUDIES studies back to back: each sent as soon as the
# previous send ended; per-study latency and the time from the last send to the last result.
# usage: bench/loop.sh            (REPS=3 STUDIES=10 WORK=/tmp/mednode-bench-loop; SKIP_BUILD=1 to reuse the builds)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
reps=${REPS:-3}
studies=${STUDIES:-10}
work=${WORK:-/tmp/mednode-bench-loop}
export TCP_NODELAY=1
mkdir -p "$work"
if [ -z "${SKIP_BUILD:-}" ]; then
  nice dotnet build bench/MedNode.Bench -c Release -v q -nologo >/dev/null
  nice dotnet build src/MedNode.Host -c Release -v q -nologo >/dev/null
fi
bench="dotnet $repo/bench/MedNode.Bench/bin/Release/net10.0/MedNode.Bench.dll"
mednode_dll="$repo/src/MedNode.Host/bin/Release/net10.0/mednode.dll"
total=$((reps + studies + 1))
for i in $(seq 0 $((total - 1))); do [ -d "$work/ct$i" ] || $bench gen-ct "$work/ct$i" 200 >/dev/null; done

freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
study_uid() { dcmdump +P StudyInstanceUID "$1" | sed -E 's/.*\[(.*)\].*/\1/'; }
wait_results() { # STUDY_UID -> prints the time the poller first saw both results of that study in Orthanc
  for _ in $(seq 1 2400); do
    grep -m1 "^$1 " "$d/arrivals" 2>/dev/null | cut -d' ' -f2 | grep . && return 0
    sleep 0.05
  done
  echo "no results for $1 after 120 s" >&2; return 1
}
# Polls Orthanc every 250 ms and writes "STUDY_UID EPOCH_SECONDS" the first time a study holds two series (SEG and SR).
write_poller() {
  cat >"$d/poll.py" <<'PY'
import json, sys, time, urllib.request
port, out = sys.argv[1], sys.argv[2]
seen = set()
while True:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/tools/find", data=json.dumps({"Level": "Study", "Query": {}, "Expand": True}).encode())
    try:
        studies = json.load(urllib.request.urlopen(req, timeout=5))
    except OSError:
        time.sleep(0.25)
        continue
    t = time.time()
    with open(out, "a") as f:
        for s in studies:
            uid = s["MainDicomTags"]["StudyInstanceUID"]
            if uid not in seen and len(s["Series"]) >= 2:
                seen.add(uid)
                f.write(f"{uid} {t:.3f}\n")
    time.sleep(0.25)
PY
}

d=$(mktemp -d "$work/run-XXXXXX")
ohttp=$(freeport); odicom=$(freeport); mhttp=$(freeport); mdicom=$(freeport)
cat >"$d/orthanc.json" <<EOF
{ "Name": "pacs", "HttpPort": $ohttp, "DicomPort": $odicom, "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
  "StorageDirectory": "$d/orthanc-storage", "IndexDirectory": "$d/orthanc-index", "Plugins": [] }
EOF
Orthanc "$d/orthanc.json" >"$d/orthanc.log" 2>&1 &
opid=$!
(cd "$d" && DOTNET_TieredCompilation=0 exec dotnet "$mednode_dll" serve --urls "http://127.0.0.1:$mhttp" \
  --MedNode:Dimse:Port="$mdicom" --MedNode:Dimse:BindAddress=127.0.0.1 --MedNode:Dimse:StoragePath="$d/store" \
  --MedNode:Dimse:MinFreeBytes=0 --MedNode:Database:ConnectionString="Data Source=$d/index.db" \
  --MedNode:Completion:CompleteOnAssociationRelease:0=MEDNODE --MedNode:Jobs:PollInterval=00:00:00.100 \
  --MedNode:Models:Path="$repo/models" --MedNode:Analysis:Device=Cpu \
  --MedNode:Destinations:0:Name=pacs --MedNode:Destinations:0:AeTitle=ORTHANC --MedNode:Destinations:0:Host=127.0.0.1 \
  --MedNode:Destinations:0:Port="$odicom" \
  --MedNode:Rules:0:Name=ct --MedNode:Rules:0:Match:Modalities:0=CT --MedNode:Rules:0:Action:Model=sts-ct \
  --MedNode:Rules:0:Action:Destinations:0:Name=pacs --Logging:LogLevel:Default=Warning >"$d/mednode.log" 2>&1) &
mpid=$!
trap 'kill -TERM $mpid $opid ${ppid:-} 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do echoscu -aec MEDNODE 127.0.0.1 "$mdicom" >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$ohttp/system" >/dev/null && break; sleep 0.1; done
write_poller
/usr/bin/python3 "$d/poll.py" "$ohttp" "$d/arrivals" &
ppid=$!

send() { storescu -aec MEDNODE 127.0.0.1 "$mdicom" "$work/ct$1"/*.dcm >"$d/scu$1.log" 2>&1; }

# Warm-up (not timed): the first study loads the model and compiles the paths once, as in a node that runs for months.
send 0; wait_results "$(study_uid "$work/ct0/ct0001.dcm")" >/dev/null
echo "| run | send s | latency s (last instance acknowledged → SEG + SR in Orthanc) |"
echo "| --- | --- | --- |"
for r in $(seq 1 "$reps"); do
  uid=$(study_uid "$work/ct$r/ct0001.dcm")
  t0=$(now); send "$r"; t1=$(now); t2=$(wait_results "$uid")
  printf '| single %d | %.2f | %.2f |\n' "$r" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)"
done
declare -A sent uids
first=$((reps + 1))
start=$(now)
for i in $(seq "$first" $((total - 1))); do
  uids[$i]=$(study_uid "$work/ct$i/ct0001.dcm")
  send "$i"; sent[$i]=$(now)
done
last_sent=$(now)
for i in $(seq "$first" $((total - 1))); do
  t=$(wait_results "${uids[$i]}")
  printf '| back-to-back %d | | %.2f |\n' $((i - reps)) "$(echo "$t - ${sent[$i]}" | bc -l)"
done
end=$(now)
printf '\n%d studies back to back: sending took %.1f s; the last result arrived %.1f s after the last send, %.1f s after the first send began.\n' \
  "$studies" "$(echo "$last_sent - $start" | bc -l)" "$(echo "$end - $last_sent" | bc -l)" "$(echo "$end - $start" | bc -l)"
echo "MedNode peak RSS: $(awk '/^VmHWM/ { print $2 / 1024 " MiB" }' /proc/$mpid/status 2>/dev/null || echo n/a)"
