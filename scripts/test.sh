#!/usr/bin/env bash
# The test command (README): installs what the tests need, builds, runs every test, and ends with
# the line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-test-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
export MEDNODE_SHARED="${MEDNODE_SHARED:-$root/../shared}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 TCP_NODELAY=1
out="$root/.test-output"
rm -rf "$out"; mkdir -p "$out"
if ! dotnet build MedNode.sln -c Release -v minimal -nologo 2>&1 | tee "$out/build.log" | grep -E "error|Warn|Build succeeded" ; then :; fi
if ! grep -q "Build succeeded" "$out/build.log"; then
  echo "build failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1
fi
dotnet test MedNode.sln -c Release --no-build -nologo --logger "trx" --logger "console;verbosity=normal" \
  --results-directory "$out/trx" -- xUnit.ParallelizeTestCollections=true 2>&1 | tee "$out/test.log" | grep -E "^\s+(Failed|Skipped) |Passed!|Failed!|error" || true
/usr/bin/env python3 - "$out/trx" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
files = glob.glob(sys.argv[1] + "/*.trx")
for f in files:
    c = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed")); failed += int(c.get("failed")) + int(c.get("error")) + int(c.get("timeout")) + int(c.get("aborted"))
    skipped += int(c.get("notExecuted"))
# Each failure's message, so that a CI log that keeps only the tail still says why.
shown = 0
for f in files:
    for r in ET.parse(f).getroot().iterfind(".//t:UnitTestResult", ns):
        if r.get("outcome") in ("Failed", "Error", "Timeout", "Aborted") and shown < 20:
            shown += 1
            msg = r.find("t:Output/t:ErrorInfo/t:Message", ns)
            text = (msg.text or "") if msg is not None else ""
            print(f"FAILED {r.get('testName')}:")
            for line in text.strip().splitlines()[:12]:
                print("    " + line[:300])
if not files:
    failed = 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
