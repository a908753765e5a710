#!/usr/bin/env bash
# Issue 6 benchmark: analyse a synthetic 200-slice 512x512 CT (0.78 x 0.78 x 1 mm) with the bundled sts-ct model on
# 2 CPU threads: MedNode's pipeline (MedNode.Bench analyze: per-stage times, peak RSS; median of 5 runs after a warm-up)
# side by side with PyTorch 1.13 running the same network from the same weights over the same resampled volume and
# sliding window (bench/analysis_torch.py; median of 3). Pass "cuda" as the second argument on a machine with a GPU and
# ONNX Runtime's CUDA build (models/train/gpu_session.sh shows how it ran on a lent H200).
# usage: bench/analysis.sh [workdir] [cpu|cuda]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/mednode-bench-analysis}
device=${2:-cpu}
dotnet build bench/MedNode.Bench -c Release -v q -nologo >/dev/null
bench="dotnet bench/MedNode.Bench/bin/Release/net10.0/MedNode.Bench.dll"
[ -d "$work/ct" ] || $bench gen-ct "$work/ct" 200
echo "== MedNode, sts-ct, $device"
$bench analyze "$work/ct" models/sts-ct "$device" 5 2
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), sts-ct, cpu"
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 bench/analysis_torch.py "$work/ct" 3
