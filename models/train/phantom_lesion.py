#!/usr/bin/python3
"""Trains MedNode's bundled `phantom-lesion` model on synthetic CT phantoms.

Run (Debian python3-torch 1.13, python3-onnx 1.12; OpenBLAS makes 3D convolution ~3x faster):

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \
        /usr/bin/python3 models/train/phantom_lesion.py --out models/phantom-lesion

Seeded and reproducible on one machine (torch CPU kernels may differ by rounding across BLAS builds).

Data: patches of 24^3 (training) and 32^3 (held-out) voxels at 1.5 mm isotropic, the model's target spacing. Each patch is soft tissue
(40 HU) with Gaussian noise (sigma 4-20 HU), sometimes cut by the body outline (air, -1000 HU), with 0-3
ellipsoidal lesions (radii 3-15 mm, contrast +60..+100 HU, random orientation). Intensities are
partial-volume averages over 2x2x2 sub-samples per voxel, which is what a finer CT resampled to 1.5 mm
looks like; the label is the voxel-centre-inside rule. Input normalisation: HU window -200..300 -> 0..1, clip.

Network: a shallow fully convolutional net (three convolutions, 6 channels, about 1.2k parameters; the CPU it was
trained on was shared, so it had to be tiny), initialised as smooth-then-threshold and then trained, logits out, sigmoid activation applied by the runtime (see model.json).
Training patches are 24^3 from a pool of 48 that is refreshed one patch every 10 steps, with random flips. Exported as ONNX opset 17, dynamic spatial axes.
"""
import argparse
import hashlib
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SPACING = 1.5
PATCH = 32
TRAIN_PATCH = 24
POOL = 48
A_MIN, A_MAX = -200.0, 300.0


def random_rotation(rng):
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    w, x, y, z = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def make_patch(rng, n=PATCH, sub=2):
    """One synthetic patch: (normalised image, label), both (n, n, n) float32, axes (z, y, x)."""
    # Sub-sample offsets inside a voxel, in voxel units.
    offs = (np.arange(sub) + 0.5) / sub - 0.5
    grid = np.arange(n, dtype=np.float64)
    fz = (grid[:, None] + offs[None, :]).reshape(-1) * SPACING
    fine = np.stack(np.meshgrid(fz, fz, fz, indexing="ij"), axis=-1)  # (n*sub)^3 x 3, mm, (z, y, x)
    centre = np.stack(np.meshgrid(grid * SPACING, grid * SPACING, grid * SPACING, indexing="ij"), axis=-1)

    hu_fine = np.full(fine.shape[:3], 40.0)
    label = np.zeros((n, n, n), dtype=np.float32)
    extent = n * SPACING

    # Body outline: a large ellipse-like boundary through the patch (air outside) in ~30% of patches.
    if rng.random() < 0.3:
        normal = rng.normal(size=3)
        normal /= np.linalg.norm(normal)
        radius = rng.uniform(60, 200)
        c = np.array([extent / 2] * 3) + normal * (radius + rng.uniform(-extent / 2, extent / 4))
        d = np.linalg.norm(fine - c, axis=-1)
        hu_fine[d > radius] = -1000.0

    for _ in range(rng.integers(0, 4)):
        radii = rng.uniform(3.0, 15.0) * rng.uniform(0.6, 1.0, size=3)
        radii[rng.integers(0, 3)] = max(radii.max(), 3.0)
        rot = random_rotation(rng)
        c = rng.uniform(-0.1 * extent, 1.1 * extent, size=3)
        contrast = rng.uniform(60.0, 100.0)

        def inside(p):
            local = (p - c) @ rot
            return ((local / radii) ** 2).sum(axis=-1) <= 1.0

        m_fine = inside(fine) & (hu_fine > -500)
        hu_fine[m_fine] = 40.0 + contrast
        label[inside(centre) & (hu_fine.reshape(n, sub, n, sub, n, sub).min(axis=(1, 3, 5)) > -500)] = 1.0

    hu = hu_fine.reshape(n, sub, n, sub, n, sub).mean(axis=(1, 3, 5))
    hu += rng.normal(scale=rng.uniform(4.0, 20.0), size=hu.shape)
    img = np.clip((hu - A_MIN) / (A_MAX - A_MIN), 0.0, 1.0).astype(np.float32)
    return img, label


def manifest(sha, threshold, model_file="model.onnx"):
    """The model.json the C# loader reads (MedNode.Analysis.Models.ModelManifest)."""
    return {
        "id": "phantom-lesion",
        "name": "MedNode synthetic phantom lesion segmenter",
        "version": "1.0.0",
        "sha256": sha,
        "modelFile": model_file,
        "licence": "Apache-2.0 (MedNode project); trained only on synthetic data",
        "intendedUse": "End-to-end tests of MedNode's analysis pipeline on synthetic CT phantoms. Not for clinical use.",
        "modality": "CT",
        "input": {"tensorName": "image", "layout": "NCDHW", "orientation": "LPS", "channels": 1},
        "normalisation": {"kind": "window", "aMin": A_MIN, "aMax": A_MAX, "bMin": 0.0, "bMax": 1.0, "clip": True},
        "targetSpacing": [SPACING, SPACING, SPACING],
        "patchSize": [48, 48, 48],
        "overlap": 0.25,
        "spatialDivisor": 1,
        "output": {"tensorName": "logits", "kind": "logits", "activation": "sigmoid"},
        "classes": [{
            "channel": 0,
            "label": "Lesion",
            "category": {"value": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"},
            "type": {"value": "52988006", "scheme": "SCT", "meaning": "Lesion"},
            "colour": "#FF8000",
        }],
        "threshold": threshold,
        "minLesionVolumeMm3": 30.0,
    }


def calibrate(net, seed):
    """The threshold whose predicted volume is closest to the true volume on 24 calibration phantoms (seed + 2:
    neither training nor held-out validation data). Sigmoid outputs of this small net are not calibrated; at 0.5
    it over-segments by about 12 %."""
    rng = np.random.default_rng(seed + 2)
    cal = [make_patch(rng) for _ in range(24)]
    with torch.no_grad():
        prob = torch.sigmoid(net(torch.from_numpy(np.stack([c[0] for c in cal])[:, None]))).numpy()
    y = np.stack([c[1] for c in cal])[:, None]
    ratios = {t: float((prob >= t).sum() / y.sum()) for t in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9)}
    print("calibration volume ratios", ratios)
    return min(ratios, key=lambda t: abs(ratios[t] - 1))


def write_manifest(out, threshold):
    with open(os.path.join(out, "model.onnx"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(manifest(sha, threshold), f, indent=2)
        f.write("\n")
    return sha


class PhantomNet(nn.Module):
    """Three convolutions (3^3, dilated 3^3, 1^1), 6 channels: a receptive field of 7 voxels (10.5 mm)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv3d(1, 6, 3, padding=1), nn.ReLU(),
            nn.Conv3d(6, 6, 3, padding=2, dilation=2), nn.ReLU(),
            nn.Conv3d(6, 1, 1))

    def forward(self, x):
        return self.body(x)

    @torch.no_grad()
    def init_prior(self):
        """Starts from "smooth, then threshold at 80 HU": channels 0/1 carry the positive and negative parts of a
        3^3 mean minus the threshold, layer 2 averages them again (dilated), the last layer takes 40 x their
        difference. The other channels start small and random. Training refines this; from a random start the net
        sat in the predict-nothing minimum for the few hundred steps a shared CPU allowed."""
        c1, c2, c3 = self.body[0], self.body[2], self.body[4]
        mid = (80.0 - A_MIN) / (A_MAX - A_MIN)
        c1.weight[:2] = 0
        c1.weight[0] = 1.0 / 27
        c1.weight[1] = -1.0 / 27
        c1.bias[0], c1.bias[1] = -mid, mid
        c2.weight.mul_(0.1)
        c2.weight[:2, :2] = 0
        c2.weight[0, 0] = 1.0 / 27
        c2.weight[1, 1] = 1.0 / 27
        c2.bias[:2] = 0
        c3.weight.mul_(0.1)
        c3.weight[0, 0], c3.weight[0, 1] = 40.0, -40.0
        c3.bias.zero_()


def dice(pred, target):
    inter = (pred * target).sum()
    s = pred.sum() + target.sum()
    return 1.0 if s == 0 else float(2 * inter / s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/phantom-lesion")
    ap.add_argument("--minutes", type=float, default=6.0)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seed", type=int, default=20261125)
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    val_rng = np.random.default_rng(args.seed + 1)  # held-out phantoms, never trained on
    val = [make_patch(val_rng) for _ in range(24)]

    net = PhantomNet()
    net.init_prior()
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    # A pool of training patches, refreshed a few at a time: generating patches costs more than a step.
    pool = [make_patch(rng, n=TRAIN_PATCH) for _ in range(POOL)]
    start = time.time()
    step = 0
    while time.time() - start < args.minutes * 60:
        if step % 10 == 0:
            pool[rng.integers(0, POOL)] = make_patch(rng, n=TRAIN_PATCH)
        picks = rng.integers(0, POOL, size=args.batch)
        xs, ys = [], []
        for i in picks:
            img, lab = pool[i]
            axes = tuple(a for a in range(3) if rng.random() < 0.5)
            if axes:
                img, lab = np.flip(img, axes), np.flip(lab, axes)
            xs.append(np.ascontiguousarray(img))
            ys.append(np.ascontiguousarray(lab))
        x = torch.from_numpy(np.stack(xs)[:, None])
        y = torch.from_numpy(np.stack(ys)[:, None])
        logits = net(x)
        p = torch.sigmoid(logits)
        soft_dice = 1 - (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1)
        loss = F.binary_cross_entropy_with_logits(logits, y) + soft_dice
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.4f} t {time.time() - start:.0f}s", flush=True)
        if time.time() - start > args.minutes * 40:  # last third at a lower rate
            for g in opt.param_groups:
                g["lr"] = 5e-4
    train_seconds = time.time() - start

    net.eval()
    with torch.no_grad():
        x = torch.from_numpy(np.stack([v[0] for v in val])[:, None])
        y = np.stack([v[1] for v in val])[:, None]
        pv = (torch.sigmoid(net(x)).numpy() >= 0.5).astype(np.float32)
    inter, total = float((pv * y).sum()), float(pv.sum() + y.sum())
    metrics = {
        "held_out_patches": len(val),
        "voxel_dice_pooled": 2 * inter / total if total else 1.0,
        "voxel_dice_mean_per_patch_with_lesion": float(np.mean([dice(pv[i], y[i]) for i in range(len(val)) if y[i].sum() > 0])),
        "false_positive_voxels_in_lesion_free_patches": int(sum(pv[i].sum() for i in range(len(val)) if y[i].sum() == 0)),
        "training_steps": step,
        "training_seconds": round(train_seconds),
        "parameters": params,
    }
    print(json.dumps(metrics, indent=2))

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "model.onnx")
    dummy = torch.zeros(1, 1, PATCH, PATCH, PATCH)
    torch.onnx.export(net, dummy, path, opset_version=17, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "n", 2: "d", 3: "h", 4: "w"}, "logits": {0: "n", 2: "d", 3: "h", 4: "w"}})
    import onnx
    onnx.checker.check_model(onnx.load(path))
    threshold = calibrate(net, args.seed)
    metrics["threshold"] = threshold
    sha = write_manifest(args.out, threshold)
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump({**metrics, "sha256": sha}, f, indent=2)
    print("sha256", sha)


if __name__ == "__main__":
    main()
