"""Reference values for the sensibench-data loader tests.

Re-run (from the project root) with a Python that has numpy, pydicom, nibabel, pillow:

    .tools/train/bin/python harness/data/tests/reference/make_fixtures.py

It writes, next to this file:
  * small synthetic DICOM files made by pydicom (`dcm_*.dcm`) and small NIfTI
    files made by nibabel (`nii_*.nii[.gz]`), each a few hundred bytes;
  * `reference.json`: what pydicom / nibabel / numpy read from those files and
    from a few real files under ../shared/data (when present): shapes,
    spacing, values at chosen positions, sums, label counts.

The Rust tests (tests/loaders.rs) only read these files; they never run Python.
"""

import json
import os
import sys

import nibabel as nib
import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "data"))
ref = {"dicom_synthetic": {}, "nifti_synthetic": {}, "dicom_real": {}, "nifti_real": {}, "png_real": {}, "jpeg_real": {}}


def rescaled(ds):
    """pydicom's decoded stored values with the documented loader rules."""
    arr = ds.pixel_array.astype(np.float64)  # handles BitsStored and sign
    if ds.PhotometricInterpretation == "MONOCHROME1":
        b = int(ds.BitsStored)
        if int(ds.PixelRepresentation) == 1:
            smin, smax = -(2 ** (b - 1)), 2 ** (b - 1) - 1
        else:
            smin, smax = 0, 2 ** b - 1
        arr = (smin + smax) - arr
    slope = float(getattr(ds, "RescaleSlope", 1.0))
    inter = float(getattr(ds, "RescaleIntercept", 0.0))
    return arr * slope + inter


def write_dicom(name, arr, bits_alloc, bits_stored, signed, photometric, slope=None, inter=None,
                spacing=(0.7, 0.9), slice_location=None, ts=ExplicitVRLittleEndian, raw_words=None):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"  # MR Image Storage
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[name])
    meta.TransferSyntaxUID = ts
    ds = FileDataset(name, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "MR"
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = bits_alloc
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelSpacing = [str(spacing[0]), str(spacing[1])]
    if slope is not None:
        ds.RescaleSlope = str(slope)
        ds.RescaleIntercept = str(inter)
    if slice_location is not None:
        ds.SliceLocation = str(slice_location)
    if raw_words is not None:
        ds.PixelData = raw_words.tobytes()
    else:
        ds.PixelData = arr.tobytes()
    path = os.path.join(HERE, name)
    ds.save_as(path, enforce_file_format=True)
    back = pydicom.dcmread(path)
    v = rescaled(back)
    ref["dicom_synthetic"][name] = {
        "shape": list(v.shape),
        "spacing_yx": [float(x) for x in back.PixelSpacing],
        "values": v.ravel().tolist(),
        "slice_location": float(back.SliceLocation) if "SliceLocation" in back else None,
    }


rng = np.random.default_rng(7)
# 16-bit unsigned, MONOCHROME2, no rescale.
write_dicom("dcm_u16.dcm", rng.integers(0, 4096, (5, 7)).astype("<u2"), 16, 12, False, "MONOCHROME2",
            slice_location=-12.25)
# 16-bit signed with BitsStored 12: stored words carry garbage in the high bits
# that the decoder must drop, and the sign bit is bit 11.
vals = rng.integers(-2048, 2048, (4, 6)).astype(np.int16)
words = (vals.astype(np.int32) & 0x0FFF) | (0xA000)  # junk in bits 12..15
write_dicom("dcm_s12.dcm", vals, 16, 12, True, "MONOCHROME2", slope=2.5, inter=-1024,
            raw_words=words.astype("<u2"))
# 8-bit unsigned, MONOCHROME1 (inverted), rescale, implicit VR.
write_dicom("dcm_u8_mono1.dcm", rng.integers(0, 256, (3, 5)).astype(np.uint8), 8, 8, False, "MONOCHROME1",
            slope=0.5, inter=10, ts=ImplicitVRLittleEndian, spacing=(1.25, 1.25))


def write_nifti(name, arr, dtype, pixdim, slope=None, inter=None, endian="<"):
    img = nib.Nifti1Image(arr.astype(dtype), np.diag([pixdim[0], pixdim[1], pixdim[2], 1.0]))
    hdr = img.header
    if endian == ">":
        img = nib.Nifti1Image(arr.astype(np.dtype(dtype).newbyteorder(">")), img.affine,
                              hdr.as_byteswapped(">"))
        hdr = img.header
    hdr.set_zooms(pixdim)
    hdr.set_xyzt_units("mm")
    if slope is not None:
        hdr.set_slope_inter(slope, inter)
    path = os.path.join(HERE, name)
    nib.save(img, path)
    back = nib.load(path)
    data = np.asarray(back.get_fdata(dtype=np.float64))
    ref["nifti_synthetic"][name] = {
        "shape_ijk": list(data.shape),
        "pixdim": [float(z) for z in back.header.get_zooms()[:3]],
        # flattened in (k, j, i) order = the loader's (z, y, x) row-major order
        "values_zyx": np.transpose(data, (2, 1, 0)).ravel().tolist(),
    }


# int16 with slope/intercept, gzip.
write_nifti("nii_i16_scaled.nii.gz", rng.integers(-300, 300, (4, 3, 2)), np.int16, (0.8, 0.9, 2.5), slope=0.5, inter=-7)
# uint8 labels, plain .nii, big endian is irrelevant for u8; use float64 big-endian volume for endianness.
write_nifti("nii_labels_u8.nii", rng.integers(0, 4, (5, 4, 3)), np.uint8, (1.0, 1.5, 3.0))
write_nifti("nii_f64_be.nii", rng.normal(0, 100, (3, 2, 2)), np.float64, (2.0, 2.0, 4.0), endian=">")
# a label volume with a fractional value (must be rejected)
write_nifti("nii_labels_fraction.nii", np.array([[[0.0, 1.0], [2.5, 3.0]]]), np.float32, (1.0, 1.0, 1.0))

# ---- real data (skipped if absent) ----
def rel(p):
    return os.path.relpath(p, DATA)


if os.path.isdir(DATA):
    kdir = os.path.join(DATA, "cardiac-misas/example/kaggle/sample_images")
    for f in sorted(os.listdir(kdir))[:4] + []:
        ds = pydicom.dcmread(os.path.join(kdir, f))
        v = rescaled(ds)
        h, w = v.shape
        pts = [(0, 0), (h // 2, w // 2), (h // 3, (2 * w) // 3), (h - 1, w - 1)]
        ref["dicom_real"][rel(os.path.join(kdir, f))] = {
            "shape": [h, w],
            "spacing_yx": [float(x) for x in ds.PixelSpacing],
            "points": [[y, x, float(v[y, x])] for y, x in pts],
            "sum": float(v.sum()),
            "slice_location": float(ds.SliceLocation),
            "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        }
    ctd = os.path.join(DATA, "ct-totalseg/tests/reference_files/example_ct_dicom")
    f = sorted(os.listdir(ctd))[0]
    ds = pydicom.dcmread(os.path.join(ctd, f), stop_before_pixels=True)
    ref["dicom_real"][rel(os.path.join(ctd, f))] = {
        "compressed": True,
        "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        "slice_location": float(ds.SliceLocation),
    }

    base = os.path.join(DATA, "ct-totalseg/tests/reference_files")
    for name, kind in [("example_ct.nii.gz", "image"), ("example_seg_fast_force_split.nii.gz", "labels")]:
        img = nib.load(os.path.join(base, name))
        d = np.asarray(img.dataobj).astype(np.float64)
        if kind == "image":
            d = np.asarray(img.get_fdata(dtype=np.float64))
        ni, nj, nk = d.shape
        pts = [(0, 0, 0), (ni // 2, nj // 2, nk // 2), (ni // 3, (2 * nj) // 3, nk // 4), (ni - 1, nj - 1, nk - 1),
               (60, 40, 50), (61, 55, 70)]
        entry = {
            "shape_ijk": [ni, nj, nk],
            "pixdim": [float(z) for z in img.header.get_zooms()[:3]],
            "points_ijk": [[i, j, k, float(d[i, j, k])] for i, j, k in pts],
            "sum": float(d.sum()),
        }
        if kind == "labels":
            u, c = np.unique(d, return_counts=True)
            entry["counts"] = {str(int(a)): int(b) for a, b in zip(u, c)}
        ref["nifti_real"][rel(os.path.join(base, name))] = entry

    for sub in ["images", "masks_full"]:
        p = os.path.join(DATA, "cardiac-misas/example/kaggle", sub, "1-frame014-slice005.png")
        a = np.asarray(Image.open(p)).astype(np.float64)
        if a.ndim == 3:
            a = 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]
        h, w = a.shape
        entry = {"shape": [h, w], "sum": float(a.sum()),
                 "points": [[y, x, float(a[y, x])] for y, x in [(0, 0), (h // 2, w // 2), (100, 120), (h - 1, w - 1)]]}
        if sub == "masks_full":
            u, c = np.unique(a, return_counts=True)
            entry["counts"] = {str(int(x)): int(n) for x, n in zip(u, c)}
        ref["png_real"][rel(p)] = entry
    p = os.path.join(DATA, "mednist/HeadCT/000005.jpeg")
    a = np.asarray(Image.open(p)).astype(np.float64)
    ref["jpeg_real"][rel(p)] = {"shape": list(a.shape), "mean": float(a.mean()),
                                "values": a.ravel().tolist()}
else:
    print("shared data absent: real-data references not written", file=sys.stderr)

with open(os.path.join(HERE, "reference.json"), "w") as fh:
    json.dump(ref, fh, indent=1)
print("wrote", os.path.join(HERE, "reference.json"))
