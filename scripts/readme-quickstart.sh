#!/usr/bin/env bash
# Fresh-clone test of the README's quick start (issue 9): clones the committed HEAD of a repository into a temp folder,
# runs the command the README marks between <!-- quickstart-run --> and <!-- /quickstart-run -->, waits for the node to
# listen, C-ECHOes it with DCMTK's echoscu, stops it with SIGTERM by PID and checks that it exits cleanly (status 0).
#   scripts/readme-quickstart.sh [REPO]        REPO defaults to the repository this script is in.
# Ports are overridden through the environment, in the ASP.NET Core convention (MedNode__Dimse__Port, Urls), so the
# README's command runs unchanged. The clone builds from scratch (no bin/ or obj/ from any working tree); NuGet packages
# come from the machine's NuGet cache or feed as for any fresh clone. Prints "quickstart: OK" last on success.
set -euo pipefail

repo="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
timeout_s="${QUICKSTART_TIMEOUT:-900}"
work="$(mktemp -d "${TMPDIR:-/tmp}/mednode-quickstart-XXXXXX")"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "quickstart: FAILED: $*" >&2; [ -f "$work/node.log" ] && tail -n 40 "$work/node.log" >&2; exit 1; }

if command -v git >/dev/null 2>&1 && sha="$(git -C "$repo" rev-parse HEAD 2>/dev/null)"; then
  # The committed HEAD (of this worktree, which may not be the repository's default branch).
  git clone --quiet --no-checkout --no-hardlinks "$repo" "$work/mednode"
  git -C "$work/mednode" -c advice.detachedHead=false checkout --quiet "$sha"
  echo "quickstart: cloned $sha"
else
  # Not a git checkout (e.g. an exported source tree): copy the sources without any build output or test dependency.
  mkdir -p "$work/mednode"
  tar -C "$repo" --exclude=./.git --exclude='*/bin' --exclude='*/obj' --exclude=./.test-deps --exclude=./.test-output -cf - . | tar -C "$work/mednode" -xf -
  echo "quickstart: copied the source tree (no git checkout)"
fi
cd "$work/mednode"

cmd="$(awk '/<!-- quickstart-run -->/{inside=1; next} /<!-- \/quickstart-run -->/{inside=0} inside && /^```/{fence=!fence; next} inside && fence' README.md)"
[ -n "$cmd" ] || fail "README.md has no command between <!-- quickstart-run --> and <!-- /quickstart-run -->"
echo "quickstart: running: $cmd"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
dimse_port="$(free_port)"
http_port="$(free_port)"
export MedNode__Dimse__Port="$dimse_port" MedNode__Dimse__BindAddress=127.0.0.1 Urls="http://127.0.0.1:$http_port"
export TCP_NODELAY=1
# The build keeps no MSBuild or compiler server running after it (nothing outlives the test, nothing is shared with
# another build).
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

# setsid: the command runs in its own session, so a failure below can clean up everything it started.
setsid bash -c "$cmd" >"$work/node.log" 2>&1 &
pid=$!

deadline=$((SECONDS + timeout_s))
until echoscu -aec MEDNODE 127.0.0.1 "$dimse_port" >"$work/echo.log" 2>&1; do
  kill -0 "$pid" 2>/dev/null || fail "the command exited before it listened"
  [ $SECONDS -lt $deadline ] || fail "no C-ECHO answer on port $dimse_port within ${timeout_s}s"
  sleep 2
done
echo "quickstart: C-ECHO to MEDNODE@127.0.0.1:$dimse_port succeeded"

kill -TERM "$pid"
# At most 60 s to stop (the host's shutdown timeout is 30 s); past that the session is killed and the status is 137.
# Read /proc/PID/stat once: the process may exit between a check and the read (then it is not running).
running() { local stat; stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1; [ -n "$stat" ] && [ "$(cut -d' ' -f3 <<<"$stat")" != Z ]; }
stop_deadline=$((SECONDS + 60))
while running "$pid" && [ $SECONDS -lt $stop_deadline ]; do sleep 0.2; done
if running "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
status=0
wait "$pid" || status=$?
pgid="$pid"
pid=""
kill -KILL -- "-$pgid" 2>/dev/null || true # anything the command left in its session
[ "$status" -eq 0 ] || fail "the node exited with status $status after SIGTERM"
echo "quickstart: stopped by SIGTERM, exit status 0"
echo "quickstart: OK"
