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
#   h100   (carry .gpu2, after `provider` with .gpu on the same warm machine: the two carries, 51.4 + 16.0 MB, do not fit
#          one call's 64 MiB with the tree; .gpu2/dotnet.tar.xz is a trimmed publish, see pack below; given .gpu too, it
#          unpacks both itself) unpacks
#          both, generates the CT and benchmarks both models: CUDA with one tile per Run and with TILE_BATCHES, once
#          with cudnn_conv_algo_search=HEURISTIC, Auto, and 2 CPU threads; the log goes to $OUT/h100.log. Knobs:
#          SLICES (200), REPS (3), TILE_BATCHES ("8 16"), BUDGET_S (330: later steps are skipped past it). Without a
#          GPU or CUDA libraries every run falls back to CPU, which is how it was tested off the device.
#   pack   (here, not on the device) builds both carries for h100: the pruned provider with xz -9e (51.4 MB), and a
#          trimmed self-contained publish (16.0 MB; untrimmed it was 34.8 MB).
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
# One analyze run, skipped once BUDGET_S seconds of the mode have passed; each capped at 150 s.
analyze() {
  if [ $SECONDS -gt ${BUDGET_S:-330} ]; then echo "SKIPPED (past BUDGET_S=${BUDGET_S:-330} s): analyze $*"; return; fi
  echo "== t=${SECONDS}s analyze $* ${MEDNODE_CUDNN_CONV_ALGO_SEARCH:+(cudnn_conv_algo_search=$MEDNODE_CUDNN_CONV_ALGO_SEARCH)}"
  timeout 150 $G/bench/MedNode.Bench analyze $G/ct "$@" 2>&1
}
h100() {
  SECONDS=0
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "no nvidia-smi"
  nproc; uptime
  mkdir -p $G/bench
  # Both carries in one call, or (if they do not fit 64 MiB together) `provider` with .gpu first, then h100 with .gpu2.
  if [ -f .gpu/cuda90.xz ]; then xz -dc .gpu/cuda90.xz > $G/bench/libonnxruntime_providers_cuda.so &
  elif [ -f $G/libonnxruntime_providers_cuda.so ]; then cp $G/libonnxruntime_providers_cuda.so $G/bench/
  else echo "no CUDA provider: neither .gpu/cuda90.xz nor $G/libonnxruntime_providers_cuda.so (a fresh machine: run provider first)"; return 1; fi
  xz -dc .gpu2/dotnet.tar.xz | tar -C $G/bench -xf -
  wait
  libs=$(timeout 60 find /usr /opt /lib \( -name 'libcudnn.so.9' -o -name 'libcublasLt.so.13' -o -name 'libcudart.so.13' -o -name 'libcurand.so.10' -o -name 'libcufft.so.12' -o -name 'libcublas.so.13' \) 2>/dev/null | xargs -r -n1 dirname | sort -u | paste -sd:)
  echo "CUDA library folders: ${libs:-none}"
  export LD_LIBRARY_PATH=$libs DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
  ldd $G/bench/libonnxruntime_providers_cuda.so | grep -E "not found|cudnn|cublas|cudart"
  $G/bench/MedNode.Bench gen-ct $G/ct ${SLICES:-200}
  echo "t=${SECONDS}s set up"
  local r=${REPS:-3}
  for m in sts-ct phantom-lesion; do
    analyze models/$m cuda $r 2 1
    for b in ${TILE_BATCHES:-8 16}; do analyze models/$m cuda $r 2 $b; done
    MEDNODE_CUDNN_CONV_ALGO_SEARCH=HEURISTIC analyze models/$m cuda $r 2 ${TILE_BATCHES%% *}
    analyze models/$m auto 0 2
  done
  # CPU last (it is the slow part): sts-ct twice after the warm-up, phantom-lesion (16 s a run) the warm-up only.
  analyze models/sts-ct cpu 2 2 1
  analyze models/phantom-lesion cpu 0 2 1
  echo "t=${SECONDS}s done"
}
pack() {
  local ort=~/.nuget/packages/microsoft.ml.onnxruntime.gpu.linux/1.31.0/runtimes/linux-x64/native pub=/tmp/mednode-bench-gpu
  mkdir -p .gpu .gpu2
  rm -rf $pub && dotnet publish bench/MedNode.Bench -c Release -r linux-x64 --self-contained -p:OnnxRuntimeGpu=true -p:RestoreLockedMode=false \
    -p:PublishTrimmed=true -p:TrimMode=partial -p:JsonSerializerIsReflectionEnabledByDefault=true -p:TreatWarningsAsErrors=false \
    -p:SuppressTrimAnalysisWarnings=true -p:DebugType=none -p:InvariantGlobalization=true -p:UseSystemResourceKeys=true -o $pub
  git checkout -- '*packages.lock.json'  # the GPU restore rewrites the lock files
  # After the publish: its restore is what brings the GPU package (and its CUDA provider) into the NuGet cache.
  python3 models/train/gpu_prune_fatbin.py $ort/libonnxruntime_providers_cuda.so /tmp/cuda90.so 90 && xz -9e -T1 -c /tmp/cuda90.so > .gpu/cuda90.xz && rm /tmp/cuda90.so
  tar -C $pub -cf - --exclude=libonnxruntime_providers_cuda.so --exclude=libonnxruntime_providers_tensorrt.so --exclude=createdump \
    --exclude=libmscordaccore.so --exclude=libmscordbi.so --exclude='libclrgc*.so' . | xz -9 -T2 > .gpu2/dotnet.tar.xz
  ls -la .gpu .gpu2; du -cb .gpu/cuda90.xz .gpu2/dotnet.tar.xz | tail -1
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
pack)
  pack
  ;;
h100)
  TILE_BATCHES=${TILE_BATCHES:-8 16}
  h100 2>&1 | tee "${OUT:-/tmp}/h100.log"
  ;;
esac
