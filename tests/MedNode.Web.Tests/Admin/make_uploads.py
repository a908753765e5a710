"""Makes upload test files with independent tools (nibabel, zlib, pydicom) and prints the expectations as JSON."""
import hashlib, json, struct, sys, zlib
import numpy as np

out = sys.argv[1]
result = {}

# NIfTI-1 with flipped, anisotropic axes: RAS affine, so DICOM LPS negates x and y.
import nibabel as nib
data = (np.arange(7 * 6 * 4, dtype=np.int16).reshape((7, 6, 4), order="F") * 3 - 100)
affine = np.array([[-0.8, 0, 0, 40.0], [0, 0.9, 0, -20.0], [0, 0, 2.5, 7.5], [0, 0, 0, 1]])
img = nib.Nifti1Image(data, affine)
img.set_sform(affine, code=1)
img.set_qform(affine, code=1)
nib.save(img, out + "/volume.nii.gz")
def lps(v):
    x, y, z = (affine @ np.array(v + [1.0]))[:3]
    return [-x, -y, z]
col_i = affine[:3, 0] / np.linalg.norm(affine[:3, 0]); col_j = affine[:3, 1] / np.linalg.norm(affine[:3, 1])
result["nifti"] = {
    "slices": 4, "rows": 6, "columns": 7,
    "first_position": lps([0, 0, 0]), "last_position": lps([0, 0, 3]),
    "orientation": [-col_i[0], -col_i[1], col_i[2], -col_j[0], -col_j[1], col_j[2]],
    "pixel_spacing": [0.9, 0.8],
    "probe": {"i": 3, "j": 5, "k": 2, "value": float(data[3, 5, 2])},
}

# PNG, 16-bit greyscale, written by hand (W3C PNG): filter 0 on every row.
w, h = 9, 5
pix = [[(x * 1000 + y * 37) % 65536 for x in range(w)] for y in range(h)]
raw = b"".join(b"\x00" + b"".join(struct.pack(">H", v) for v in row) for row in pix)
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(out + "/grey16.png", "wb").write(png)
result["png"] = {"rows": h, "columns": w, "pixel_sha256": hashlib.sha256(b"".join(struct.pack("<H", v) for row in pix for v in row)).hexdigest()}

# JPEG: the baseline bitstream of a corpus file, taken out of its encapsulation by pydicom.
import pydicom
from pydicom.encaps import generate_pixel_data_frame
src = pydicom.dcmread(sys.argv[2])
frame = next(generate_pixel_data_frame(src.PixelData))
open(out + "/image.jpg", "wb").write(frame)
result["jpeg"] = {"rows": int(src.Rows), "columns": int(src.Columns)}
print(json.dumps(result))
