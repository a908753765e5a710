#!/usr/bin/env bash
# The loop's analysis stages inside `mednode serve` against the analysis benchmark's process, on the same synthetic
# 200-slice CT (bench/RESULTS.md, "The loop"): wall time, process CPU and its kernel part per stage, as the job records
# them (GET /api/v1/jobs: "assembly", "assembly.cpu", "assembly.kernel", ...) and as `MedNode.Bench analyze` prints them.
# Three studies per node (the first loads the model); the node runs once as shipped and once with each extra
# environment setting given as an argument (e.g. DOTNET_GCRetainVM=1). No PACS: the stages end before the export.
# usage: bench/loop-stages.sh [VAR=VALUE ...]   (WORK=/tmp/mednode-bench-stages; SKIP_BUILD=1 to reuse the builds)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
work=${WORK:-/tmp/mednode-bench-stages}
mkdir -p "$work"
export TCP_NODELAY=1
if [ -z "${SKIP_BUILD:-}" ]; then
  nice dotnet build bench/MedNode.Bench -c Release -v q -nologo >/dev/null
  nice dotnet build src/MedNode.Host -c Release -v q -nologo >/dev/null
fi
bench="dotnet $repo/bench/MedNode.Bench/bin/Release/net10.0/MedNode.Bench.dll"
dll="$repo/src/MedNode.Host/bin/Release/net10.0/mednode.dll"
for i in 1 2 3; do [ -d "$work/ct$i" ] || $bench gen-ct "$work/ct$i" 200 >/dev/null; done
freeport() { /usr/bin/python3 -c 'import random,socket
while True:
  p=random.randint(10000,32000); s=socket.socket()
  try: s.bind(("0.0.0.0",p)); print(p); break
  except OSError: pass'; }
run_node() { # $1 = journal true/false
  d=$(mktemp -d "$work/node-XXXX"); http=$(freeport); dimse=$(freeport)
  (cd "$d" && export ${2:-X_UNUSED=1} && DOTNET_TieredCompilation=0 exec dotnet "$dll" serve --urls "http://127.0.0.1:$http" --MedNode:Security:AllowAnonymous=true \
    --MedNode:Dimse:Port=$dimse --MedNode:Dimse:BindAddress=127.0.0.1 --MedNode:Dimse:StoragePath="$d/store" --MedNode:Dimse:IngestJournal=$1 \
    --MedNode:Dimse:MinFreeBytes=0 --MedNode:Database:ConnectionString="Data Source=$d/index.db" \
    --MedNode:Completion:CompleteOnAssociationRelease:0=MEDNODE --MedNode:Jobs:PollInterval=00:00:00.100 \
    --MedNode:Models:Path="$repo/models" --MedNode:Analysis:Device=Cpu \
    --MedNode:Rules:0:Name=ct --MedNode:Rules:0:Match:Modalities:0=CT --MedNode:Rules:0:Action:Model=sts-ct \
    --Logging:LogLevel:Default=Warning >"$d/mednode.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$http/health/ready" | grep -q '"dimse"' && echoscu -aec MEDNODE 127.0.0.1 $dimse >/dev/null 2>&1 && break; sleep 0.2; done
  for i in 1 2 3; do
    echo "journal=$1 env=${2:-} study $i load: $(cut -d' ' -f1-3 /proc/loadavg)"
    storescu -aec MEDNODE 127.0.0.1 $dimse "$work/ct$i"/*.dcm >/dev/null 2>&1
    for _ in $(seq 1 1200); do
      n=$(curl -sf "http://127.0.0.1:$http/api/v1/jobs?status=Succeeded" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0)
      [ "$n" -ge "$i" ] && break; sleep 0.25
    done
  done
  curl -sf "http://127.0.0.1:$http/api/v1/jobs?status=Succeeded" | /usr/bin/python3 -c '
import json,sys
for j in sorted(json.load(sys.stdin), key=lambda j: j.get("createdAt","")):
    t=j.get("stageTimings") or {}
    print("  job", " ".join(f"{k}={v/1000:.2f}" for k,v in sorted(t.items())))'
  kill -TERM $pid; wait $pid 2>/dev/null || true
}
run_node true
for setting in "$@"; do run_node true "$setting"; done
echo "bench load: $(cut -d' ' -f1-3 /proc/loadavg)"
DOTNET_TieredCompilation=0 $bench analyze "$work/ct2" "$repo/models/sts-ct" cpu 3 2
