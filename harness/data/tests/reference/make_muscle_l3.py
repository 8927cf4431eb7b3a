"""Reference values for the L3 / skeletal-muscle helpers (tests/muscle_l3.rs).

Re-run from the project root with a Python that has numpy and nibabel:

    .tools/train/bin/python harness/data/tests/reference/make_muscle_l3.py

It reads the TotalSegmentator reference files under
$SENSIBENCH_DATA_ROOT (default ../shared/data)/ct-totalseg/tests/reference_files
and writes muscle_l3.json next to this file: shapes, spacing, orientation,
the vertebra and muscle label ids checked by anatomy (centroids in RAS mm and
mean HU), the axial slices containing vertebra L3 (with margins) and the
skeletal-muscle pixel count per selected slice, and the same for the second
crop (example_ct_sm + example_seg_tissue_types/skeletal_muscle).

Index convention: numpy index [i, j, k] of the NIfTI array; the harness maps
(x, y, z) = (i, j, k), so "axial slice k" is the harness's SliceAxis::Axial
index k.
"""

import json
import os

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("SENSIBENCH_DATA_ROOT") or os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "data")
REF = os.path.normpath(os.path.join(ROOT, "ct-totalseg", "tests", "reference_files"))

# TotalSegmentator v2 "total" class map (totalsegmentator/map_to_binary.py), the
# entries this script checks by anatomy below.
NAMES = {
    1: "spleen", 2: "kidney_right", 3: "kidney_left", 5: "liver", 18: "small_bowel", 20: "colon",
    25: "sacrum", 26: "vertebrae_S1", 27: "vertebrae_L5", 28: "vertebrae_L4", 29: "vertebrae_L3",
    30: "vertebrae_L2", 31: "vertebrae_L1", 32: "vertebrae_T12", 33: "vertebrae_T11",
    52: "aorta", 63: "inferior_vena_cava", 79: "spinal_cord",
    80: "gluteus_maximus_left", 81: "gluteus_maximus_right", 82: "gluteus_medius_left",
    83: "gluteus_medius_right", 84: "gluteus_minimus_left", 85: "gluteus_minimus_right",
    86: "autochthon_left", 87: "autochthon_right", 88: "iliopsoas_left", 89: "iliopsoas_right",
}
L3 = 29
MUSCLES = list(range(80, 90))  # gluteus max/med/min, autochthon, iliopsoas (left, right)
MARGINS = [0, 2]


def load(name):
    img = nib.load(os.path.join(REF, name))
    return img, np.asanyarray(img.dataobj)


def slices_with(seg, label, margin):
    ks = np.nonzero((seg == label).any(axis=(0, 1)))[0]
    if len(ks) == 0:
        return []
    out = set()
    for k in ks:
        out.update(range(max(0, k - margin), min(seg.shape[2] - 1, k + margin) + 1))
    return sorted(int(k) for k in out)


def main():
    ct_img, ct = load("example_ct.nii.gz")
    seg_img, seg = load("example_seg_fast_force_split.nii.gz")
    assert ct.shape == seg.shape and np.allclose(ct_img.affine, seg_img.affine)
    aff = seg_img.affine
    out = {
        "multi": {
            "image": "ct-totalseg/tests/reference_files/example_ct.nii.gz",
            "labels": "ct-totalseg/tests/reference_files/example_seg_fast_force_split.nii.gz",
            "shape_ijk": list(seg.shape),
            "zooms": [float(z) for z in seg_img.header.get_zooms()],
            "axcodes": list(nib.aff2axcodes(aff)),
            "label_dtype": str(seg.dtype),
            "max_label": int(seg.max()),
            "labels_present": sorted(int(v) for v in np.unique(seg)),
        }
    }
    anat = {}
    for lab, name in NAMES.items():
        idx = np.argwhere(seg == lab)
        if len(idx) == 0:
            continue
        c = idx.mean(axis=0)
        ras = aff[:3, :3] @ c + aff[:3, 3]
        anat[str(lab)] = {
            "name": name,
            "voxels": int(len(idx)),
            "centroid_ijk": [round(float(v), 2) for v in c],
            "centroid_ras_mm": [round(float(v), 1) for v in ras],
            "k_range": [int(idx[:, 2].min()), int(idx[:, 2].max())],
            "mean_hu": round(float(ct[seg == lab].mean()), 1),
        }
    out["multi"]["anatomy"] = anat
    # Anatomical checks of the class map: vertebrae ordered caudal -> cranial along +k
    # (RAS: +k is superior), left structures at -x (RAS +x = patient right), autochthon
    # posterior (smaller y in RAS = posterior) of the vertebral bodies, iliopsoas anterior.
    zs = [anat[str(l)]["centroid_ras_mm"][2] for l in range(26, 33)]
    assert all(a < b for a, b in zip(zs, zs[1:])), zs
    for left, right in [(80, 81), (82, 83), (84, 85), (86, 87), (88, 89), (3, 2)]:
        assert anat[str(left)]["centroid_ras_mm"][0] < 0 < anat[str(right)]["centroid_ras_mm"][0]
    vy = anat[str(L3)]["centroid_ras_mm"][1]
    assert anat["86"]["centroid_ras_mm"][1] < vy - 30 and anat["87"]["centroid_ras_mm"][1] < vy - 30
    assert anat["88"]["centroid_ras_mm"][1] > vy and anat["89"]["centroid_ras_mm"][1] > vy
    assert anat["5"]["centroid_ras_mm"][0] > 0 and anat["1"]["centroid_ras_mm"][0] < 0  # liver right, spleen left
    out["multi"]["l3_label"] = L3
    out["multi"]["muscle_labels"] = MUSCLES
    muscle = np.isin(seg, MUSCLES)
    sel = {}
    for m in MARGINS:
        ks = slices_with(seg, L3, m)
        sel[str(m)] = {
            "slices": ks,
            "muscle_pixels": [int(muscle[:, :, k].sum()) for k in ks],
            "l3_pixels": [int((seg[:, :, k] == L3).sum()) for k in ks],
            "muscle_pixels_by_label": {
                str(l): [int((seg[:, :, k] == l).sum()) for k in ks] for l in MUSCLES
            },
        }
    out["multi"]["l3_selection"] = sel
    # Mid-L3 slice: the middle of the slices containing L3.
    ks = sel["0"]["slices"]
    mid = ks[len(ks) // 2]
    sp = float(seg_img.header.get_zooms()[0]) * float(seg_img.header.get_zooms()[1])
    out["multi"]["mid_l3_slice"] = int(mid)
    out["multi"]["mid_l3_muscle_area_cm2"] = round(float(muscle[:, :, mid].sum()) * sp / 100.0, 2)
    out["multi"]["mid_l3_muscle_mean_hu"] = round(float(ct[:, :, mid][muscle[:, :, mid]].mean()), 2)

    # The second crop: example_ct_sm is example_ct's last 30 axial slices (same affine
    # kept by the crop), paired voxel by voxel with the tissue-type masks.
    sm_img, sm = load("example_ct_sm.nii.gz")
    tm_img, tm = load("example_seg_tissue_types/skeletal_muscle.nii.gz")
    s2_img, s2 = load("example_seg.nii.gz")
    off = None
    for o in range(ct.shape[2] - sm.shape[2] + 1):
        if np.array_equal(ct[:, :, o:o + sm.shape[2]].astype(np.int64), sm.astype(np.int64)):
            off = o
            break
    out["crop"] = {
        "image": "ct-totalseg/tests/reference_files/example_ct_sm.nii.gz",
        "muscle_mask": "ct-totalseg/tests/reference_files/example_seg_tissue_types/skeletal_muscle.nii.gz",
        "labels": "ct-totalseg/tests/reference_files/example_seg.nii.gz",
        "shape_ijk": list(sm.shape),
        "zooms": [float(z) for z in sm_img.header.get_zooms()],
        "same_affine_as_mask": bool(np.allclose(sm_img.affine, tm_img.affine)),
        "equals_example_ct_k_offset": off,
        "mask_values": sorted(int(v) for v in np.unique(tm)),
        "muscle_pixels_per_slice": [int(tm[:, :, k].sum()) for k in range(tm.shape[2])],
        "muscle_mean_hu": round(float(sm[tm > 0].mean()), 2),
        "vertebrae_present": sorted(int(v) for v in np.unique(s2) if 25 <= v <= 50),
        "l3_slices": slices_with(s2, L3, 0),
        "l2_slices": slices_with(s2, 30, 0),
        "multi_label_agreement_with_example_seg": round(
            float((seg[:, :, off:off + s2.shape[2]] == s2).mean()), 4) if off is not None else None,
    }
    with open(os.path.join(HERE, "muscle_l3.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps({k: out["multi"][k] for k in ("l3_label", "mid_l3_slice", "mid_l3_muscle_area_cm2")}))
    print("L3 slices", sel["0"]["slices"], "muscle", sel["0"]["muscle_pixels"])
    print("crop", {k: out["crop"][k] for k in ("equals_example_ct_k_offset", "vertebrae_present", "l2_slices", "muscle_mean_hu")})


if __name__ == "__main__":
    main()
