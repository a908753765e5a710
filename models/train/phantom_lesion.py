#!/usr/bin/python3
"""Trains MedNode's bundled `phantom-lesion` model on synthetic CT phantoms.

Stages (`--stage`):
  train   generate phantoms, train, write the weights as NumPy (`--weights`, torch-version independent) and a log.
          Runs on CUDA when `--device cuda` (the 2026-11-26 model was trained on an NVIDIA H200 with PyTorch 2.11).
  export  weights -> ONNX opset 17 with dynamic spatial axes (Debian python3-torch 1.13 and python3-onnx 1.12 here),
          then the threshold calibration, model.json and metrics.json.
Local CPU run (Debian python3-torch 1.13; OpenBLAS makes 3D convolution ~3x faster):

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \
        /usr/bin/python3 models/train/phantom_lesion.py --stage train --steps 6000 --weights /tmp/phantom.npz
    /usr/bin/python3 models/train/phantom_lesion.py --stage export --weights /tmp/phantom.npz --out models/phantom-lesion

Seeded; the phantoms are reproducible everywhere (NumPy generators, one seed per phantom), the weights on one
machine and PyTorch build.

Data: each phantom is made the way MedNode sees a CT series. A source grid with in-plane spacing 0.6-1.0 mm and slice
spacing 1.0-2.5 mm holds soft tissue (40 HU), sometimes cut by a body outline (air, -1000 HU), and 0-3 ellipsoidal
lesions (radii 2.5-15 mm, contrast +40..+150 HU, random orientation). Source intensities are partial-volume averages
over 2x2x2 sub-samples per voxel plus Gaussian noise (sigma 3-25 HU), rounded to integers as DICOM stores them -- as
MedNode.Analysis.Phantoms.CtPhantom writes its series. The source volume is then resampled trilinearly to the model's
1.5 mm grid exactly as MedNode.Analysis.Inference.Resampler does (grid sharing the source origin, edge-clamped), and
windowed (-200..300 HU -> 0..1, clipped).
Labels are soft: the fraction of each 1.5 mm voxel inside a lesion (4x4x4 sub-samples). Trained against partial-volume
fractions, the sigmoid output estimates the fraction, so the 0.5 iso-surface of the probabilities resampled back to the
source grid lies on the lesion's surface; binary voxel-centre labels at 1.5 mm would put it up to 0.75 mm off.
"""
import argparse
import hashlib
import json
import os
import time

import numpy as np

from sts_ct import load_weights, save_weights, steps_for_budget  # one copy of the training helpers

SPACING = 1.5
PATCH = 32                 # training and validation patches, voxels at 1.5 mm
A_MIN, A_MAX = -200.0, 300.0
BODY_HU = 40.0


def random_rotation(rng):
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    w, x, y, z = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def _points(n, spacing, sub):
    """Sub-sample positions (mm) along one axis: voxel i covers (i - 0.5 .. i + 0.5) * spacing."""
    offs = (np.arange(sub) + 0.5) / sub - 0.5
    return ((np.arange(n)[:, None] + offs[None, :]) * spacing).reshape(-1)


def _trilinear_axis(vol, axis, n_out, scale):
    """Resampler.Trilinear along one axis: output i samples the source at i * scale (source index), edge-clamped."""
    n_in = vol.shape[axis]
    p = np.clip(np.arange(n_out) * scale, 0, n_in - 1)
    lo = np.floor(p).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    w = (p - lo).astype(np.float32)
    shape = [1, 1, 1]
    shape[axis] = n_out
    w = w.reshape(shape)
    return np.take(vol, lo, axis=axis) * (1 - w) + np.take(vol, hi, axis=axis) * w


def make_phantom(seed, n=PATCH, grid=SPACING):
    """One phantom: (normalised image, soft label), both (n, n, n) float32 on the model's grid (`grid` mm: 1.5, or
    0.75 for the fine phantoms that stand for LesionRefiner's second pass at zoom 2), axes (z, y, x)."""
    rng = np.random.default_rng(seed)
    sxy, sz = rng.uniform(0.6, 1.0), rng.uniform(1.0, 2.5)
    extent = (n - 1) * grid
    nxy, nz = int(np.ceil(extent / sxy)) + 2, int(np.ceil(extent / sz)) + 2

    body = None
    if rng.random() < 0.3:
        normal = rng.normal(size=3)
        normal /= np.linalg.norm(normal)
        radius = rng.uniform(60, 200)
        body = (np.array([extent / 2] * 3) + normal * (radius + rng.uniform(-extent / 2, extent / 4)), radius)
    lesions = []
    for _ in range(rng.integers(0, 4)):
        # Fine phantoms hold the small lesions the second pass sees (up to about 10 mm across, in context).
        radii = rng.uniform(2.5, 15.0 if grid == SPACING else 7.5) * rng.uniform(0.6, 1.0, size=3)
        radii[rng.integers(0, 3)] = max(radii.max(), 2.5)
        lesions.append((rng.uniform(-0.1 * extent, 1.1 * extent, size=3), radii, random_rotation(rng), rng.uniform(40.0, 150.0)))

    def render(z, y, x):
        """HU and lesion membership at points given as (z, y, x) mm coordinate vectors (broadcast to a grid)."""
        pts = np.stack(np.meshgrid(z, y, x, indexing="ij"), axis=-1)
        hu = np.full(pts.shape[:3], BODY_HU, dtype=np.float32)
        in_body = np.ones(pts.shape[:3], dtype=bool)
        if body is not None:
            in_body = np.linalg.norm(pts - body[0], axis=-1) <= body[1]
            hu[~in_body] = -1000.0
        inside = np.zeros(pts.shape[:3], dtype=bool)
        for c, radii, rot, contrast in lesions:
            m = ((((pts - c) @ rot) / radii) ** 2).sum(axis=-1) <= 1.0
            m &= in_body
            hu[m] = BODY_HU + contrast
            inside |= m
        return hu, inside

    # Source series: 2x2x2 partial volume, noise, integer HU.
    hu_fine, _ = render(_points(nz, sz, 2), _points(nxy, sxy, 2), _points(nxy, sxy, 2))
    src = hu_fine.reshape(nz, 2, nxy, 2, nxy, 2).mean(axis=(1, 3, 5))
    src += rng.normal(scale=rng.uniform(3.0, 25.0), size=src.shape)
    src = np.round(src).astype(np.float32)
    # Resampled to the model's grid (1.5 mm, or 0.75 mm) on the grid that shares the source origin.
    vol = _trilinear_axis(src, 0, n, grid / sz)
    vol = _trilinear_axis(vol, 1, n, grid / sxy)
    vol = _trilinear_axis(vol, 2, n, grid / sxy)
    img = np.clip((vol - A_MIN) / (A_MAX - A_MIN), 0.0, 1.0).astype(np.float32)
    # Soft label: fraction of each model voxel inside a lesion.
    if lesions:
        _, inside = render(_points(n, grid, 4), _points(n, grid, 4), _points(n, grid, 4))
        label = inside.reshape(n, 4, n, 4, n, 4).mean(axis=(1, 3, 5)).astype(np.float32)
    else:
        label = np.zeros((n, n, n), dtype=np.float32)
    return img, label


def _make(job):
    seed, grid = job
    return make_phantom(seed, grid=grid)


def make_set(seeds, workers, fine_every=0):
    """Phantoms for `seeds`; with `fine_every` k > 0, every k-th one (index % k == k - 1) on the 0.75 mm grid."""
    jobs = [(s, SPACING / 2 if fine_every and i % fine_every == fine_every - 1 else SPACING) for i, s in enumerate(seeds)]
    if workers <= 1:
        out = [_make(j) for j in jobs]
    else:
        from multiprocessing import Pool
        with Pool(workers) as pool:
            out = pool.map(_make, jobs, chunksize=8)
    return np.stack([o[0] for o in out])[:, None], np.stack([o[1] for o in out])[:, None]


def build_net():
    import torch
    import torch.nn as nn

    def block(cin, cout):
        return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1), nn.BatchNorm3d(cout), nn.ReLU(inplace=True),
                             nn.Conv3d(cout, cout, 3, padding=1), nn.BatchNorm3d(cout), nn.ReLU(inplace=True))

    class PhantomUNet(nn.Module):
        """A small 3D U-Net: 2 poolings (8-16-32 channels; spatial divisor 4), transposed-convolution upsampling,
        skip concatenation, logits out."""

        def __init__(self):
            super().__init__()
            self.e1, self.e2, self.b = block(1, 8), block(8, 16), block(16, 32)
            self.u2, self.d2 = nn.ConvTranspose3d(32, 16, 2, stride=2), block(32, 16)
            self.u1, self.d1 = nn.ConvTranspose3d(16, 8, 2, stride=2), block(16, 8)
            self.out = nn.Conv3d(8, 1, 1)
            self.pool = nn.MaxPool3d(2)

        def forward(self, x):
            e1 = self.e1(x)
            e2 = self.e2(self.pool(e1))
            b = self.b(self.pool(e2))
            d2 = self.d2(torch.cat([self.u2(b), e2], 1))
            return self.out(self.d1(torch.cat([self.u1(d2), e1], 1)))

    return PhantomUNet()


def manifest(sha, threshold, model_file="model.onnx"):
    """The model.json the C# loader reads (MedNode.Analysis.Models.ModelManifest)."""
    return {
        "id": "phantom-lesion",
        "name": "MedNode synthetic phantom lesion segmenter",
        "version": "2.1.0",
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
        "spatialDivisor": 4,
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
        # MedNode's second pass at twice the model's resolution around each lesion found (LesionRefiner); what it
        # gains is measured in MODEL_CARD.md.
        "refinement": {"zoom": 2.0, "marginMm": 12.0, "maxCandidateVolumeMm3": 500.0, "maxVoxels": 8000000},
    }


def dice(pred, target):
    s = pred.sum() + target.sum()
    return 1.0 if s == 0 else float(2 * (pred * target).sum() / s)


def train(args):
    import torch
    import torch.nn.functional as F
    dev = torch.device(args.device)
    if args.device == "cpu":
        torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    # Disjoint seed ranges: training phantoms, held-out validation (seed + 1 range), calibration (seed + 2 range).
    xs, ys = make_set([args.seed * 1000 + i for i in range(args.phantoms)], args.workers, args.fine_every)
    print(f"{len(xs)} training phantoms in {time.time() - t0:.0f}s", flush=True)
    while args.wait_for and not os.path.exists(args.wait_for):  # one GPU job at a time, so the step timing holds
        time.sleep(1)
    x_all, y_all = torch.from_numpy(xs).to(dev), torch.from_numpy(ys).to(dev)

    def one_step(net, opt, rng):
        idx = torch.from_numpy(rng.integers(0, len(xs), size=args.batch)).to(dev)
        x, y = x_all[idx], y_all[idx]
        dims = [d for d in (2, 3, 4) if rng.random() < 0.5]
        if dims:
            x, y = torch.flip(x, dims), torch.flip(y, dims)
        logits = net(x)
        p = torch.sigmoid(logits)
        soft_dice = 1 - (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1)
        loss = F.binary_cross_entropy_with_logits(logits, y) + soft_dice
        if args.volume_weight:
            # Per phantom, the probabilities' sum against the true (fractional) volume: what MedNode's partial-volume
            # estimate reports. The floor of 20 voxels keeps lesion-free phantoms from dominating.
            ps, ys = p.sum(dim=(1, 2, 3, 4)), y.sum(dim=(1, 2, 3, 4))
            loss = loss + args.volume_weight * ((ps - ys).abs() / (ys + 20)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss, soft_dice

    if args.budget_seconds:
        args.steps = steps_for_budget(lambda: build_net().to(dev), one_step, args.budget_seconds, dev)
        torch.manual_seed(args.seed)
        rng = np.random.default_rng(args.seed)
    net = build_net().to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.steps, pct_start=0.05)
    start = time.time()
    net.train()
    for step in range(1, args.steps + 1):
        loss, soft_dice = one_step(net, opt, rng)
        sched.step()
        if step % 250 == 0:
            print(f"step {step} loss {loss.item():.4f} dice-loss {soft_dice.item():.3f} t {time.time() - start:.0f}s", flush=True)
            save_weights(net, args.weights)
    save_weights(net, args.weights)
    with open(args.weights + ".json", "w") as f:
        json.dump({"steps": args.steps, "batch": args.batch, "phantoms": args.phantoms, "fine_every": args.fine_every, "volume_weight": args.volume_weight, "seconds": round(time.time() - start),
                   "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu", "torch": torch.__version__,
                   "parameters": sum(p.numel() for p in net.parameters())}, f)
    print("trained", args.steps, "steps in", round(time.time() - start), "s", flush=True)


def export(args):
    import torch
    import onnx
    net = build_net()
    load_weights(net, args.weights)
    net.eval()
    with open(args.weights + ".json") as f:
        training = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "model.onnx")
    dummy = torch.zeros(1, 1, PATCH, PATCH, PATCH)
    torch.onnx.export(net, dummy, path, opset_version=17, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "n", 2: "d", 3: "h", 4: "w"}, "logits": {0: "n", 2: "d", 3: "h", 4: "w"}})
    onnx.checker.check_model(onnx.load(path))

    def predict(x):
        with torch.no_grad():
            return np.concatenate([torch.sigmoid(net(torch.from_numpy(x[i:i + 8]))).numpy() for i in range(0, len(x), 8)])

    # Threshold: the one whose predicted volume is closest to the true (fractional) volume on calibration phantoms.
    xc, yc = make_set([(args.seed + 2) * 1000 + i for i in range(48)], args.workers)
    pc = predict(xc)
    ratios = {t: float((pc >= t).sum() / yc.sum()) for t in (0.4, 0.45, 0.5, 0.55, 0.6)}
    threshold = min(ratios, key=lambda t: abs(ratios[t] - 1))
    print("calibration volume ratios", ratios, "->", threshold)
    xv, yv = make_set([(args.seed + 1) * 1000 + i for i in range(48)], args.workers)
    pv_soft = predict(xv)
    pv = (pv_soft >= threshold).astype(np.float32)
    # The 0.75 mm grid of the second pass (LesionRefiner, zoom 2): held-out fine phantoms (seed + 3 range).
    xf, yf = make_set([(args.seed + 3) * 1000 + i for i in range(48)], args.workers, fine_every=1)
    pf_soft = predict(xf)
    pf = (pf_soft >= threshold).astype(np.float32)
    truth_f = (yf >= 0.5).astype(np.float32)
    truth = (yv >= 0.5).astype(np.float32)
    with_lesion = [i for i in range(len(xv)) if truth[i].sum() > 0]
    metrics = {
        "held_out_phantoms": len(xv),
        "voxel_dice_pooled": round(dice(pv, truth), 4),
        "voxel_dice_mean_per_phantom_with_lesion": round(float(np.mean([dice(pv[i], truth[i]) for i in with_lesion])), 4),
        "volume_ratio_pooled": round(float(pv.sum() / yv.sum()), 4),
        "false_positive_voxels_in_lesion_free_phantoms": int(sum(pv[i].sum() for i in range(len(xv)) if yv[i].sum() == 0)),
        "soft_volume_ratio_pooled": round(float(pv_soft.sum() / yv.sum()), 4),
        "fine_grid_held_out_phantoms": len(xf),
        "fine_grid_voxel_dice_pooled": round(dice(pf, truth_f), 4),
        "fine_grid_volume_ratio_pooled": round(float(pf.sum() / yf.sum()), 4),
        "fine_grid_soft_volume_ratio_pooled": round(float(pf_soft.sum() / yf.sum()), 4),
        "calibration_volume_ratios": ratios,
        "threshold": threshold,
        "training_steps": training["steps"], "batch": training["batch"], "training_phantoms": training["phantoms"],
        "fine_every": training.get("fine_every", 0),
        "training_seconds": training["seconds"], "training_device": training["device"], "training_torch": training["torch"],
        "parameters": training["parameters"], "seed": args.seed,
    }
    print(json.dumps(metrics, indent=2))
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(manifest(sha, threshold), f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump({**metrics, "sha256": sha}, f, indent=2)
        f.write("\n")
    print("sha256", sha)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", choices=["train", "export"], required=True)
    ap.add_argument("--out", default="models/phantom-lesion")
    ap.add_argument("--weights", default="/tmp/phantom-lesion.npz")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--phantoms", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--wait-for", default="", help="start training only once this file exists")
    ap.add_argument("--budget-seconds", type=float, default=0, help="choose --steps to fit this training time (timed first)")
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--volume-weight", type=float, default=0, help="weight of a per-phantom volume term in the loss")
    ap.add_argument("--fine-every", type=int, default=0,
                    help="every k-th training phantom on the 0.75 mm grid of the second pass (version 3: 3)")
    args = ap.parse_args()
    train(args) if args.stage == "train" else export(args)


if __name__ == "__main__":
    main()
