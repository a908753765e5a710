#!/usr/bin/python3
"""Trains MedNode's bundled `sts-ct` model: soft-tissue sarcoma GTV segmentation on CT.

Run (Debian python3-torch 1.13, python3-onnx, python3-pydicom, python3-scipy, python3-matplotlib; OpenBLAS makes 3D
convolution ~3x faster):

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \
        /usr/bin/python3 models/train/sts_ct.py all --data ../shared/datasets/sts-ct --out models/sts-ct

Stages: `prep` (DICOM -> cached arrays), `pack` (the training arrays alone, one 7.5 MB file to carry to a GPU machine),
`train` (`--device cuda` on a GPU; weights saved as NumPy arrays, readable by any PyTorch version), `export` (ONNX),
`eval` (validation/training metrics, threshold choice, model.json, metrics.json); `all` runs prep, train, export and
eval. Seeded and reproducible on one machine and PyTorch build for a fixed number of steps; `--budget-seconds` times a
few steps first and picks the number of steps that fits, recording it so `--steps N` reproduces the run.
The shipped model: `train --device cuda --train-npz PACKED --batch 16 --train-patch 64 64 48 --strong-augment
--weight-decay 0.05 --steps 1700` on an NVIDIA H200 (models/train/gpu_session.sh), then `export` and `eval` here.

Data: ../shared/datasets/sts-ct (36 patients, CT crops 5 cm around the GTV, 0.977 x 0.977 x 3.27 mm, CC BY 3.0).
Labels: the RTSTRUCT `GTV_Mass_CT` contours, rasterised here by the pixel-centre-inside-polygon rule with
matplotlib.path (even-odd across the contours of one slice), contours mapped to slices by position along the slice
normal (the RTSTRUCT's referenced SOP instances are those of the uncropped series). MedNode's C# rasteriser is an
independent implementation of the same rule; tests/MedNode.Analysis.Tests compares the two (`--dump-masks`).

Split: patient level, fixed: every fifth patient in ID order starting at the third is validation (VALIDATION below).

Pre-processing (the same as the C# pipeline, MedNode.Analysis.Inference.AnalysisPipeline): slices sorted along the
normal, trilinear resampling to TARGET spacing on the grid that shares the source origin (Resampler.Regrid), HU window
A_MIN..A_MAX -> 0..1 with clip; padding beyond the volume is the normalised -1024 HU.
Inference (eval) replicates the C# sliding window exactly: tiles of PATCH (shrunk to the volume rounded up to the
spatial divisor), overlap 0.25, Gaussian blending (sigma = tile/8), sigmoid per tile, probabilities resampled
trilinearly back to the source grid, threshold, 26-connected components, components below the minimum volume dropped.
"""
import argparse
import glob
import hashlib
import json
import os
import time
import warnings

import numpy as np

A_MIN, A_MAX = -250.0, 250.0
TARGET = (3.0, 3.0, 3.27)          # x, y, z in mm (z is the native slice spacing)
PATCH = (64, 64, 48)               # x, y, z: sliding-window tile in the manifest
TRAIN_PATCH = (48, 48, 32)         # z, y, x order is used for arrays; this is (x, y, z)
DIVISOR = 4
OVERLAP = 0.25
PATIENTS = None  # filled from the data folder
VALIDATION = ["STS_006", "STS_013", "STS_019", "STS_027", "STS_035", "STS_042", "STS_047"]


# ----------------------------------------------------------------------------------------------------------- DICOM
def load_series(folder):
    """CT slices -> (hu (z, y, x) float32, geometry dict). Sorted by position along the slice normal."""
    import pydicom
    slices = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in sorted(glob.glob(os.path.join(folder, "*.dcm"))):
            slices.append(pydicom.dcmread(f))
    iop = np.array(slices[0].ImageOrientationPatient, dtype=np.float64)
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    normal /= np.linalg.norm(normal)
    slices.sort(key=lambda s: float(np.dot(np.array(s.ImagePositionPatient, dtype=np.float64), normal)))
    pos = np.array([np.dot(np.array(s.ImagePositionPatient, dtype=np.float64), normal) for s in slices])
    dz = float(np.median(np.diff(pos)))
    hu = np.stack([s.pixel_array.astype(np.float32) * float(s.RescaleSlope) + float(s.RescaleIntercept) for s in slices])
    ps = [float(v) for v in slices[0].PixelSpacing]  # row spacing (y), column spacing (x)
    geo = {"origin": np.array(slices[0].ImagePositionPatient, dtype=np.float64), "row": row, "col": col,
           "normal": normal, "spacing": (ps[1], ps[0], dz), "shape": hu.shape}
    return hu, geo


def rasterise(rtstruct_path, geo, roi_name="GTV_Mass_CT"):
    """RTSTRUCT ROI -> mask (z, y, x) uint8: pixel centre inside the polygon, even-odd across the contours of a slice."""
    import pydicom
    from matplotlib.path import Path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(rtstruct_path)
    number = [r.ROINumber for r in ds.StructureSetROISequence if r.ROIName == roi_name]
    if not number:
        raise ValueError(f"no ROI named {roi_name}")
    roi = [r for r in ds.ROIContourSequence if r.ReferencedROINumber == number[0]][0]
    nz, ny, nx = geo["shape"]
    sx, sy, sz = geo["spacing"]
    mask = np.zeros(geo["shape"], dtype=np.uint8)
    yy, xx = np.mgrid[0:ny, 0:nx]
    centres = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float64)
    for c in roi.ContourSequence:
        if c.ContourGeometricType != "CLOSED_PLANAR":
            raise ValueError(f"contour type {c.ContourGeometricType}")
        p = np.array(c.ContourData, dtype=np.float64).reshape(-1, 3) - geo["origin"]
        u, v, k = p @ geo["row"] / sx, p @ geo["col"] / sy, p @ geo["normal"] / sz
        kz = int(round(float(k.mean())))
        if np.abs(k - kz).max() > 0.01 or not 0 <= kz < nz:
            raise ValueError(f"contour off the slice grid (k = {k.mean():.3f})")
        inside = Path(np.stack([u, v], axis=1), closed=False).contains_points(centres).reshape(ny, nx)
        mask[kz] ^= inside.astype(np.uint8)
    return mask


# -------------------------------------------------------------------------------------- resampling as in C#
def _axis(n_out, scale, n_in):
    p = np.clip(np.arange(n_out) * scale, 0, n_in - 1)
    lo = np.floor(p).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, (p - lo).astype(np.float32)


def regrid_shape(shape, spacing, target):
    """Resampler.Regrid: size ceil((n - 1) * s / s' - 1e-6) + 1 per axis. shape (z, y, x), spacing/target (x, y, z)."""
    nz, ny, nx = shape
    f = lambda n, a, b: max(1, int(np.ceil((n - 1) * a / b - 1e-6)) + 1)
    return f(nz, spacing[2], target[2]), f(ny, spacing[1], target[1]), f(nx, spacing[0], target[0])


def trilinear(vol, spacing_from, spacing_to, shape_to):
    """Resampler.Trilinear between grids sharing origin and directions (separable, edge-clamped)."""
    out = vol.astype(np.float32)
    for axis, (a, b) in zip((2, 1, 0), ((0, 0), (1, 1), (2, 2))):
        n_out = shape_to[axis]
        lo, hi, w = _axis(n_out, spacing_to[b] / spacing_from[a], out.shape[axis])
        s = [None, None, None]
        s[axis] = slice(None)
        w = w[tuple(s)]
        out = np.take(out, lo, axis=axis) * (1 - w) + np.take(out, hi, axis=axis) * w
    return out


def normalise(hu):
    return ((np.clip(hu, A_MIN, A_MAX) - A_MIN) / (A_MAX - A_MIN)).astype(np.float32)


PAD = float(normalise(np.array([-1024.0]))[0])


# ----------------------------------------------------------------------------------------------------------- prep
def prep(data, cache):
    os.makedirs(cache, exist_ok=True)
    for pid in patients(data):
        out = os.path.join(cache, pid + ".npz")
        if os.path.exists(out):
            continue
        hu, geo = load_series(os.path.join(data, pid, "image"))
        mask = rasterise(os.path.join(data, pid, "mask", "RS.dcm"), geo)
        shape = regrid_shape(hu.shape, geo["spacing"], TARGET)
        img = normalise(trilinear(hu, geo["spacing"], TARGET, shape))
        lab = trilinear(mask.astype(np.float32), geo["spacing"], TARGET, shape)
        np.savez_compressed(out, img=img.astype(np.float16), lab=(lab >= 0.5).astype(np.uint8), hu=hu.astype(np.int16),
                            mask=mask, spacing=np.array(geo["spacing"]))
        print(pid, hu.shape, "->", shape, "mask voxels", int(mask.sum()), flush=True)


def patients(data):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(data, "STS_*")))


# ----------------------------------------------------------------------------------------------------------- net
def build_net():
    import torch.nn as nn
    import torch

    def block(cin, cout, k1):
        return nn.Sequential(nn.Conv3d(cin, cout, k1, padding=tuple(k // 2 for k in k1)), nn.BatchNorm3d(cout), nn.ReLU(inplace=True),
                             nn.Conv3d(cout, cout, 3, padding=1), nn.BatchNorm3d(cout), nn.ReLU(inplace=True))

    class UNet(nn.Module):
        """A small 3D U-Net: 3 levels (8-16-32 channels, 32 with dilation 2 at the bottom), 2x2x2 pooling (spatial
        divisor 4), transposed-convolution upsampling, skip concatenation, logits out."""

        def __init__(self):
            super().__init__()
            self.e1 = block(1, 8, (1, 3, 3))
            self.e2 = block(8, 16, (3, 3, 3))
            self.b = nn.Sequential(block(16, 32, (3, 3, 3)), nn.Conv3d(32, 32, 3, padding=2, dilation=2), nn.BatchNorm3d(32), nn.ReLU(inplace=True))
            self.u2 = nn.ConvTranspose3d(32, 16, 2, stride=2)
            self.d2 = block(32, 16, (3, 3, 3))
            self.u1 = nn.ConvTranspose3d(16, 8, 2, stride=2)
            self.d1 = block(16, 8, (1, 3, 3))
            self.out = nn.Conv3d(8, 1, 1)
            self.pool = nn.MaxPool3d(2)

        def forward(self, x):
            e1 = self.e1(x)
            e2 = self.e2(self.pool(e1))
            b = self.b(self.pool(e2))
            d2 = self.d2(torch.cat([self.u2(b), e2], 1))
            d1 = self.d1(torch.cat([self.u1(d2), e1], 1))
            return self.out(d1)

    return UNet()


# ----------------------------------------------------------------------------------------------------------- train
def load_cache(cache, ids):
    out = {}
    for pid in ids:
        z = np.load(os.path.join(cache, pid + ".npz"))
        out[pid] = (z["img"].astype(np.float32), z["lab"])
    return out


def pack(args):
    """The training arrays alone (image and label on the target grid), in one file small enough to carry to a GPU
    machine (about 9 MB for the 29 training patients)."""
    ids = [p for p in patients(args.data) if p not in VALIDATION]
    arrays = {}
    for pid in ids:
        z = np.load(os.path.join(args.cache, pid + ".npz"))
        arrays[pid + "_img"], arrays[pid + "_lab"] = z["img"], z["lab"]
    np.savez_compressed(args.train_npz, **arrays)
    print("packed", len(ids), "patients into", args.train_npz, os.path.getsize(args.train_npz), "bytes")


def load_packed(path):
    z = np.load(path)
    ids = sorted(k[:-4] for k in z.files if k.endswith("_img"))
    return ids, {pid: (z[pid + "_img"].astype(np.float32), z[pid + "_lab"]) for pid in ids}


def sample(rng, img, lab, fg, size, strong=False):
    """A training patch (z, y, x) = size; centred on a tumour voxel (with jitter) 2 times in 3 (1 in 2 with `strong`),
    else uniform. Random flips and intensity scale/shift; `strong` adds in-plane 90-degree rotations (x and y share the
    3 mm spacing), a wider scale/shift and Gaussian noise."""
    padded = [max(0, s - n) for s, n in zip(size, img.shape)]
    if any(padded):
        img = np.pad(img, [(0, p) for p in padded], constant_values=PAD)
        lab = np.pad(lab, [(0, p) for p in padded])
    if len(fg) and rng.random() < (1 / 2 if strong else 2 / 3):
        c = fg[rng.integers(len(fg))] + rng.integers(-size[0] // 4, size[0] // 4 + 1, size=3)
        start = [int(np.clip(c[a] - size[a] // 2, 0, img.shape[a] - size[a])) for a in range(3)]
    else:
        start = [int(rng.integers(0, img.shape[a] - size[a] + 1)) for a in range(3)]
    sl = tuple(slice(s, s + n) for s, n in zip(start, size))
    x, y = img[sl], lab[sl].astype(np.float32)
    axes = tuple(a for a in range(3) if rng.random() < 0.5)
    if axes:
        x, y = np.flip(x, axes), np.flip(y, axes)
    if not strong:
        x = x * rng.uniform(0.9, 1.1) + rng.uniform(-0.05, 0.05)
        return np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y)
    if size[1] == size[2] and rng.random() < 0.5:
        x, y = np.swapaxes(x, 1, 2), np.swapaxes(y, 1, 2)
    x = x * rng.uniform(0.8, 1.2) + rng.uniform(-0.1, 0.1) + rng.normal(scale=rng.uniform(0, 0.05), size=x.shape)
    return np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y)


def save_weights(net, path):
    """Weights as NumPy arrays: readable by any PyTorch version (trained with 2.11 on a GPU, exported with 1.13)."""
    np.savez(path, **{k: v.detach().cpu().numpy() for k, v in net.state_dict().items()})


def load_weights(net, path):
    import torch
    z = np.load(path)
    net.load_state_dict({k: torch.from_numpy(z[k]) for k in z.files})


def steps_for_budget(make_net, one_step, seconds, dev):
    """The number of steps that fit in `seconds`, timed on a throw-away net (10 warm-up steps, then 30 timed). The
    chosen number is recorded with the weights, so `--steps N` reproduces the run without a budget."""
    import torch
    net = make_net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    for _ in range(10):
        one_step(net, opt, rng)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t = time.time()
    for _ in range(30):
        one_step(net, opt, rng)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    per = (time.time() - t) / 30
    steps = max(100, int(seconds / per) // 100 * 100)
    print(f"{per * 1000:.1f} ms per step: {steps} steps fit in {seconds:.0f} s", flush=True)
    return steps


def train(args):
    import torch
    import torch.nn.functional as F
    dev = torch.device(args.device)
    if args.device == "cpu":
        torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    if args.train_npz and os.path.exists(args.train_npz):
        ids, data = load_packed(args.train_npz)
    else:
        ids = [p for p in patients(args.data) if p not in VALIDATION]
        data = load_cache(args.cache, ids)
    if any(p in VALIDATION for p in ids):
        raise SystemExit("validation patients in the training data")
    fg = {pid: np.argwhere(lab > 0) for pid, (_, lab) in data.items()}
    size = tuple(args.train_patch[::-1])

    def one_step(net, opt, rng):
        picks = [ids[rng.integers(len(ids))] for _ in range(args.batch)]
        xs, ys = zip(*(sample(rng, *data[p], fg[p], size, args.strong_augment) for p in picks))
        x = torch.from_numpy(np.stack(xs)[:, None]).to(dev)
        y = torch.from_numpy(np.stack(ys)[:, None]).to(dev)
        logits = net(x)
        p = torch.sigmoid(logits)
        soft_dice = 1 - (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1)
        loss = F.binary_cross_entropy_with_logits(logits, y) + soft_dice
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss, soft_dice

    if args.budget_seconds:
        args.steps = steps_for_budget(lambda: build_net().to(dev), one_step, args.budget_seconds, dev)
        torch.manual_seed(args.seed)
        rng = np.random.default_rng(args.seed)
    net = build_net().to(dev)
    opt = (torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay) if args.weight_decay
           else torch.optim.Adam(net.parameters(), lr=args.lr))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.1)
    start = time.time()
    net.train()
    last = min(args.steps, args.stop_after or args.steps)
    for step in range(1, last + 1):
        loss, soft_dice = one_step(net, opt, rng)
        sched.step()
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.4f} dice-loss {soft_dice.item():.3f} t {time.time() - start:.0f}s", flush=True)
            save_weights(net, args.weights)
    save_weights(net, args.weights)
    with open(args.weights + ".json", "w") as f:
        json.dump({"steps": last, "schedule_steps": args.steps, "batch": args.batch, "train_patch": list(args.train_patch),
                   "strong_augment": args.strong_augment, "weight_decay": args.weight_decay,
                   "seconds": round(time.time() - start), "lr": args.lr,
                   "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu", "torch": torch.__version__,
                   "parameters": sum(p.numel() for p in net.parameters())}, f)
    print("trained", last, "steps in", round(time.time() - start), "s", flush=True)


# ----------------------------------------------------------------------------------------------------------- export
def export(args):
    import torch
    import onnx
    net = build_net()
    load_weights(net, args.weights)
    net.eval()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "model.onnx")
    dummy = torch.zeros(1, 1, PATCH[2], PATCH[1], PATCH[0])
    torch.onnx.export(net, dummy, path, opset_version=17, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "n", 2: "d", 3: "h", 4: "w"}, "logits": {0: "n", 2: "d", 3: "h", 4: "w"}})
    onnx.checker.check_model(onnx.load(path))
    print("exported", path, os.path.getsize(path), "bytes")


# ----------------------------------------------------------------------------------------------------------- eval
def _starts(size, tile):
    if size <= tile:
        return [0]
    step = max(1, int(np.floor(tile * (1 - OVERLAP))))
    last = size - tile
    return list(range(0, last, step)) + [last]


def _gauss(n):
    sigma = 0.125 * n
    d = np.arange(n) - (n - 1) / 2.0
    return np.exp(-d * d / (2 * sigma * sigma))


def sliding_window(net, img):
    """SlidingWindow.Predict on a normalised (z, y, x) volume -> sigmoid probabilities (z, y, x)."""
    import torch
    nz, ny, nx = img.shape
    tile = lambda p, n: min(p, (n + DIVISOR - 1) // DIVISOR * DIVISOR)
    tx, ty, tz = tile(PATCH[0], nx), tile(PATCH[1], ny), tile(PATCH[2], nz)
    w = np.maximum(1e-3, _gauss(tz)[:, None, None] * _gauss(ty)[None, :, None] * _gauss(tx)[None, None, :]).astype(np.float32)
    padded = np.full((max(nz, tz), max(ny, ty), max(nx, tx)), PAD, dtype=np.float32)
    padded[:nz, :ny, :nx] = img
    acc = np.zeros(padded.shape, np.float32)
    ws = np.zeros(padded.shape, np.float32)
    with torch.no_grad():
        for z0 in _starts(padded.shape[0], tz):
            for y0 in _starts(padded.shape[1], ty):
                for x0 in _starts(padded.shape[2], tx):
                    sl = (slice(z0, z0 + tz), slice(y0, y0 + ty), slice(x0, x0 + tx))
                    out = torch.sigmoid(net(torch.from_numpy(padded[sl][None, None].copy()))).numpy()[0, 0]
                    acc[sl] += out * w
                    ws[sl] += w
    return (acc / ws)[:nz, :ny, :nx]


def predict_probability(net, hu, spacing):
    """The pipeline up to the probability map on the source grid."""
    shape = regrid_shape(hu.shape, spacing, TARGET)
    img = normalise(trilinear(hu.astype(np.float32), spacing, TARGET, shape))
    prob = sliding_window(net, img)
    return trilinear(prob, TARGET, spacing, hu.shape)


def postprocess(prob, spacing, threshold, min_volume):
    from scipy import ndimage
    m = prob >= threshold
    lab, n = ndimage.label(m, structure=np.ones((3, 3, 3)))
    if n == 0:
        return m.astype(np.uint8)
    counts = np.bincount(lab.ravel())
    voxel = spacing[0] * spacing[1] * spacing[2]
    keep = counts * voxel >= min_volume
    keep[0] = False
    return keep[lab].astype(np.uint8)


def dice(a, b):
    s = a.sum() + b.sum()
    return 1.0 if s == 0 else float(2 * (a & b).sum() / s)


def hd95(a, b, spacing):
    """Symmetric 95th-percentile Hausdorff distance in mm between the boundary voxels of a and b (as MONAI's
    compute_hausdorff_distance(percentile=95): the larger of the two directed 95th percentiles)."""
    from scipy import ndimage
    if a.sum() == 0 or b.sum() == 0:
        return float("inf")
    samp = (spacing[2], spacing[1], spacing[0])
    st = ndimage.generate_binary_structure(3, 1)
    ba = a & ~ndimage.binary_erosion(a, st)
    bb = b & ~ndimage.binary_erosion(b, st)
    da = ndimage.distance_transform_edt(~bb, sampling=samp)[ba]
    db = ndimage.distance_transform_edt(~ba, sampling=samp)[bb]
    return float(max(np.percentile(da, 95), np.percentile(db, 95)))


THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
MIN_VOLUMES = (0.0, 1000.0, 5000.0, 20000.0)


def _finite(v):
    """JSON has no infinity: an empty prediction's HD95 is written as null."""
    return round(v, 2) if np.isfinite(v) else None


def evaluate(args):
    import torch
    torch.set_num_threads(2)
    net = build_net()
    load_weights(net, args.weights)
    net.eval()
    probs = {}
    for pid in patients(args.data):
        z = np.load(os.path.join(args.cache, pid + ".npz"))
        spacing = tuple(float(v) for v in z["spacing"])
        probs[pid] = (predict_probability(net, z["hu"].astype(np.float32), spacing), z["mask"].astype(bool), spacing)
        print("predicted", pid, flush=True)
    train_ids = [p for p in probs if p not in VALIDATION]
    # Threshold and minimum volume: the pair with the best mean Dice on the TRAINING patients only.
    grid = {(t, v): float(np.mean([dice(postprocess(probs[p][0], probs[p][2], t, v).astype(bool), probs[p][1]) for p in train_ids]))
            for t in THRESHOLDS for v in MIN_VOLUMES}
    (threshold, min_volume), best = max(grid.items(), key=lambda kv: (kv[1], kv[0][1]))
    print("training-set mean Dice by (threshold, min volume):", {f"{k[0]}/{k[1]:.0f}": round(v, 4) for k, v in grid.items()})
    per = {}
    for pid, (prob, mask, spacing) in probs.items():
        pred = postprocess(prob, spacing, threshold, min_volume).astype(bool)
        voxel = spacing[0] * spacing[1] * spacing[2]
        per[pid] = {"split": "validation" if pid in VALIDATION else "training", "dice": round(dice(pred, mask), 4),
                    "hd95_mm": _finite(hd95(pred, mask, spacing)), "true_volume_mm3": round(float(mask.sum()) * voxel),
                    "predicted_volume_mm3": round(float(pred.sum()) * voxel)}
    with open(args.weights + ".json") as f:
        training = json.load(f)
    val = [per[p] for p in VALIDATION]
    tr = [per[p] for p in train_ids]
    metrics = {
        "validation_patients": VALIDATION,
        "validation_dice_mean": round(float(np.mean([v["dice"] for v in val])), 4),
        "validation_dice_median": round(float(np.median([v["dice"] for v in val])), 4),
        "validation_hd95_mm_median": _finite(float(np.median([np.inf if v["hd95_mm"] is None else v["hd95_mm"] for v in val]))),
        "training_dice_mean": round(float(np.mean([v["dice"] for v in tr])), 4),
        "threshold": threshold, "min_lesion_volume_mm3": min_volume,
        "threshold_selection_training_mean_dice": round(best, 4),
        "training_steps": training["steps"], "batch": training["batch"], "training_patch": training.get("train_patch"),
        "training_seconds": training["seconds"], "training_device": training.get("device"),
        "strong_augment": training.get("strong_augment", False), "weight_decay": training.get("weight_decay", 0.0),
        "training_torch": training.get("torch"), "parameters": training["parameters"], "seed": args.seed, "patients": per,
    }
    sha = write_manifest(args.out, threshold, min_volume)
    metrics["sha256"] = sha
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")
    print(json.dumps({k: v for k, v in metrics.items() if k != "patients"}, indent=2))
    for pid in VALIDATION:
        print(pid, per[pid])


def manifest(sha, threshold, min_volume):
    """The model.json the C# loader reads (MedNode.Analysis.Models.ModelManifest)."""
    return {
        "id": "sts-ct",
        "name": "MedNode soft-tissue sarcoma GTV segmenter (CT)",
        "version": "1.0.0",
        "sha256": sha,
        "modelFile": "model.onnx",
        "licence": "Model: Apache-2.0 (MedNode project). Trained on STS-CT (IBSI/TCIA Soft-tissue-Sarcoma), CC BY 3.0: attribution required, see MODEL_CARD.md",
        "intendedUse": "Research and demonstration: outlines the gross tumour volume of soft-tissue sarcomas of the extremities on CT. Not for clinical use.",
        "modality": "CT",
        "input": {"tensorName": "image", "layout": "NCDHW", "orientation": "LPS", "channels": 1},
        "normalisation": {"kind": "window", "aMin": A_MIN, "aMax": A_MAX, "bMin": 0.0, "bMax": 1.0, "clip": True},
        "targetSpacing": list(TARGET),
        "patchSize": list(PATCH),
        "overlap": OVERLAP,
        "spatialDivisor": DIVISOR,
        "output": {"tensorName": "logits", "kind": "logits", "activation": "sigmoid"},
        "classes": [{
            "channel": 0,
            "label": "Soft-tissue sarcoma GTV",
            "category": {"value": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"},
            "type": {"value": "108369006", "scheme": "SCT", "meaning": "Neoplasm"},
            "colour": "#E03C31",
        }],
        "threshold": threshold,
        "minLesionVolumeMm3": min_volume,
    }


def write_manifest(out, threshold, min_volume):
    with open(os.path.join(out, "model.onnx"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(manifest(sha, threshold, min_volume), f, indent=2)
        f.write("\n")
    return sha


def dump_masks(args):
    """Writes the Python rasteriser's masks (z, y, x, uint8, raw) for the C#/Python comparison test."""
    os.makedirs(args.dump_masks, exist_ok=True)
    for pid in args.patients.split(","):
        hu, geo = load_series(os.path.join(args.data, pid, "image"))
        mask = rasterise(os.path.join(args.data, pid, "mask", "RS.dcm"), geo)
        mask.tofile(os.path.join(args.dump_masks, pid + ".raw"))
        print(pid, mask.shape, int(mask.sum()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=["prep", "pack", "train", "export", "eval", "all", "masks"])
    ap.add_argument("--data", default="../shared/datasets/sts-ct")
    ap.add_argument("--out", default="models/sts-ct")
    ap.add_argument("--cache", default="/tmp/sts-ct-cache")
    ap.add_argument("--weights", default="/tmp/sts-ct-cache/weights.npz")
    ap.add_argument("--train-npz", default="", help="training arrays written by `pack` (used instead of --cache)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--train-patch", type=int, nargs=3, default=list(TRAIN_PATCH), help="x y z voxels")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--strong-augment", action="store_true", help="rotations, noise, wider intensity jitter, more background")
    ap.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay (0: Adam)")
    ap.add_argument("--budget-seconds", type=float, default=0, help="choose --steps to fit this training time (timed first)")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--stop-after", type=int, default=0, help="end after this step, keeping the --steps schedule")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--dump-masks", default="/tmp/sts-ct-masks")
    ap.add_argument("--patients", default="STS_002,STS_019,STS_027")
    args = ap.parse_args()
    if args.stage == "masks":
        return dump_masks(args)
    if args.stage == "pack":
        return pack(args)
    if args.stage in ("prep", "all"):
        prep(args.data, args.cache)
    if args.stage in ("train", "all"):
        train(args)
    if args.stage in ("export", "all"):
        export(args)
    if args.stage in ("eval", "all"):
        evaluate(args)


if __name__ == "__main__":
    main()
