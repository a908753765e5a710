#!/usr/bin/python3
"""PyTorch CPU side of the issue-6 analysis benchmark: the sts-ct network (the source model of models/sts-ct/model.onnx,
weights in models/sts-ct/weights.npz) on the same synthetic 200-slice CT as `MedNode.Bench analyze`, with the same
resampling and sliding window (models/train/sts_ct.py re-implements MedNode's pipeline), 2 threads.

    /usr/bin/python3 bench/analysis_torch.py /tmp/bench-ct [repeats]

Prints the time of each stage (read + HU, resample + normalise, sliding-window inference, back-resampling) and peak
RSS. Only the inference stage is compared with ONNX Runtime: the rest is NumPy, not what a PyTorch deployment would use.
"""
import glob
import os
import resource
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "train"))
import sts_ct  # noqa: E402


def main():
    import pydicom
    import torch
    torch.set_num_threads(2)
    folder, repeats = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    net = sts_ct.build_net()
    sts_ct.load_weights(net, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "sts-ct", "weights.npz"))
    net.eval()
    times = []
    for r in range(repeats + 1):
        t0 = time.time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hu, geo = sts_ct.load_series(folder)
        t1 = time.time()
        shape = sts_ct.regrid_shape(hu.shape, geo["spacing"], sts_ct.TARGET)
        img = sts_ct.normalise(sts_ct.trilinear(hu, geo["spacing"], sts_ct.TARGET, shape))
        t2 = time.time()
        prob = sts_ct.sliding_window(net, img)
        t3 = time.time()
        sts_ct.trilinear(prob, sts_ct.TARGET, geo["spacing"], hu.shape)
        t4 = time.time()
        label = "warm-up" if r == 0 else f"run {r}"
        print(f"{label}: read {t1 - t0:.3f} s, resample+normalise {t2 - t1:.3f} s, inference {t3 - t2:.3f} s "
              f"({img.shape} voxels at the model's spacing), back-resample {t4 - t3:.3f} s", flush=True)
        if r > 0:
            times.append(t3 - t2)
    times.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"median inference {times[len(times) // 2]:.3f} s over {len(times)} runs; peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
