#!/bin/bash
# Trains both bundled models on a lent NVIDIA GPU and benchmarks the analysis pipeline with ONNX Runtime's CUDA
# execution provider, in two calls of the device tool (only 64 MiB travel per call):
#   start  (carry .gpu: stsct-train.npz from `sts_ct.py pack`, cuda90.xz = ORT 1.31 libonnxruntime_providers_cuda.so
#          with the fat-binary entries for GPUs other than sm_90 zeroed by gpu_prune_fatbin.py, xz-compressed)
#          starts the sts-ct training at once and the phantom-lesion training when it ends, in the background.
#          The step counts are those of the shipped models (2026-11-26, H200: 141 s and 119 s); the first session ran
#          them with --budget-seconds, and sts-ct once more with --strong-augment --weight-decay 0.05 (MODEL_CARD.md).
#   finish (carry .gpu2: dotnet.tar.xz = self-contained `dotnet publish -r linux-x64 -p:OnnxRuntimeGpu=true` of
#          bench/MedNode.Bench without the CUDA provider) waits for both trainings, then runs `MedNode.Bench analyze` on
#          a generated 200-slice 512x512 CT on CUDA and on 2 CPU threads, and writes weights and logs to $OUT.
#   provider + bench (the same carries, without training): the benchmark alone, on CUDA, Auto and 2 CPU threads.
set -u
G=/tmp/gpu
bench() {
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  for m in sts-ct phantom-lesion; do
    $G/bench/MedNode.Bench analyze $G/ct models/$m cuda 5 2 2>&1
    $G/bench/MedNode.Bench analyze $G/ct models/$m auto 0 2 2>&1
    $G/bench/MedNode.Bench analyze $G/ct models/$m cpu 2 2 2>&1
  done
}
setup_bench() {
  mkdir -p $G/bench && xz -dc .gpu2/dotnet.tar.xz | tar -C $G/bench -xf - && cp $G/libonnxruntime_providers_cuda.so $G/bench/
  libs=$(find /usr /opt /lib \( -name 'libcudnn.so.9' -o -name 'libcublasLt.so.13' -o -name 'libcudart.so.13' -o -name 'libcurand.so.10' -o -name 'libcufft.so.12' -o -name 'libcublas.so.13' \) 2>/dev/null | xargs -r -n1 dirname | sort -u | paste -sd:)
  echo "CUDA library folders: $libs"
  export LD_LIBRARY_PATH=$libs DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
  ldd $G/bench/libonnxruntime_providers_cuda.so | grep -E "not found|cudnn|cublas|cudart"
  $G/bench/MedNode.Bench gen-ct $G/ct 200
}
case "$1" in
provider)
  mkdir -p $G && xz -dc .gpu/cuda90.xz > $G/libonnxruntime_providers_cuda.so && ls -la $G
  ;;
bench)
  setup_bench
  bench | tee "$OUT/bench.log"
  ;;
start)
  mkdir -p $G
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__, torch.cuda.get_device_name(0))"
  cp .gpu/stsct-train.npz $G/
  (xz -dc .gpu/cuda90.xz > $G/libonnxruntime_providers_cuda.so && echo unpacked > $G/provider.ok) &
  unpack=$!
  cd models/train
  setsid nohup bash -c "python3 sts_ct.py train --device cuda --train-npz $G/stsct-train.npz --batch 16 --train-patch 64 64 48 \
      --strong-augment --weight-decay 0.05 --steps ${STS_STEPS:-1700} --weights $G/sts-ct.npz > $G/sts-ct.log 2>&1; touch $G/sts-ct.done" < /dev/null > /dev/null 2>&1 &
  setsid nohup bash -c "python3 phantom_lesion.py --stage train --device cuda --phantoms 3000 --workers 12 --batch 32 \
      --steps ${PHANTOM_STEPS:-6100} --wait-for $G/sts-ct.done --weights $G/phantom.npz > $G/phantom.log 2>&1; touch $G/phantom.done" \
      < /dev/null > /dev/null 2>&1 &
  sleep 25; wait $unpack
  ls -la $G; tail -n 5 $G/sts-ct.log $G/phantom.log
  ;;
finish)
  setup_bench
  for i in $(seq 1 ${WAIT_SECONDS:-330}); do [ -f $G/phantom.done ] && break; sleep 1; done
  tail -n 3 $G/sts-ct.log $G/phantom.log
  bench | tee $G/bench.log
  cp $G/sts-ct.npz $G/sts-ct.npz.json $G/sts-ct.log $G/phantom.npz $G/phantom.npz.json $G/phantom.log $G/bench.log "$OUT"/ 2>&1
  ;;
esac
