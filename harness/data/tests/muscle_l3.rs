//! Tests of `slices_containing_label` and `remap_labels`: hand-worked cases,
//! and the real TotalSegmentator CT (when present) against the values that
//! `tests/reference/make_muscle_l3.py` computed with nibabel / numpy.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::{Path, PathBuf};

use sensibench_core::{Grid, LabelMap};
use sensibench_data::{
    SliceAxis, load_nifti_image, load_nifti_labels, remap_labels, slice_image, slice_labels,
    slices_containing_label,
};
use serde_json::Value;

fn vol(dims: [usize; 3], data: Vec<u8>) -> LabelMap {
    LabelMap::new(Grid::new_3d(dims, [2.0, 1.0, 1.0]).unwrap(), data).unwrap()
}

#[test]
fn slices_containing_label_hand_worked() {
    // (z, y, x) = (6, 2, 3); label 7 at z = 2 (y 1, x 0) and z = 3 (y 0, x 2).
    let mut d = vec![0u8; 6 * 2 * 3];
    d[(2 * 2 + 1) * 3] = 7;
    d[3 * 2 * 3 + 2] = 7;
    d[5 * 2 * 3 + 4] = 9;
    let v = vol([6, 2, 3], d);
    assert_eq!(
        slices_containing_label(&v, SliceAxis::Axial, 7, 0),
        vec![2, 3]
    );
    assert_eq!(
        slices_containing_label(&v, SliceAxis::Axial, 7, 1),
        vec![1, 2, 3, 4]
    );
    // Clamped at both ends.
    assert_eq!(
        slices_containing_label(&v, SliceAxis::Axial, 7, 9),
        vec![0, 1, 2, 3, 4, 5]
    );
    assert_eq!(
        slices_containing_label(&v, SliceAxis::Axial, 9, 2),
        vec![3, 4, 5]
    );
    // Coronal = fixed y, sagittal = fixed x.
    assert_eq!(
        slices_containing_label(&v, SliceAxis::Coronal, 7, 0),
        vec![0, 1]
    );
    assert_eq!(
        slices_containing_label(&v, SliceAxis::Coronal, 9, 0),
        vec![1]
    );
    assert_eq!(
        slices_containing_label(&v, SliceAxis::Sagittal, 7, 0),
        vec![0, 2]
    );
    assert_eq!(
        slices_containing_label(&v, SliceAxis::Sagittal, 9, 0),
        vec![1]
    );
    assert_eq!(
        slices_containing_label(&v, SliceAxis::Sagittal, 9, 1),
        vec![0, 1, 2]
    );
    // Absent label: nothing, whatever the margin.
    assert!(slices_containing_label(&v, SliceAxis::Axial, 3, 4).is_empty());
}

#[test]
fn remap_labels_hand_worked() {
    let v = vol([1, 2, 3], vec![0, 86, 87, 29, 255, 5]);
    let r = remap_labels(&v, &[(86, 1), (87, 1), (29, 2)]);
    assert_eq!(r.data(), &[0, 1, 1, 2, 0, 0]);
    assert_eq!(r.grid(), v.grid());
    // The last pair wins; the background can be relabelled.
    let r = remap_labels(&v, &[(86, 1), (86, 3), (0, 4)]);
    assert_eq!(r.data(), &[4, 3, 0, 0, 0, 0]);
    assert_eq!(remap_labels(&v, &[]).data(), &[0; 6]);
}

/// The reference files, or None (with a note) when the shared data is absent.
fn reference_dir() -> Option<PathBuf> {
    let root = std::env::var_os("SENSIBENCH_DATA_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = root.join("ct-totalseg/tests/reference_files");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent", p.display());
        None
    }
}

fn reference() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/muscle_l3.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn real_ct_l3_slices_and_muscle_counts() {
    let Some(dir) = reference_dir() else { return };
    let r = &reference()["multi"];
    let seg = load_nifti_labels(&dir.join("example_seg_fast_force_split.nii.gz")).unwrap();
    // (z, y, x) = (k, j, i); no id above 255 (TotalSegmentator v2 "total" has 117).
    let shape = usizes(&r["shape_ijk"]);
    assert_eq!(seg.grid().dims(), [shape[2], shape[1], shape[0]]);
    assert_eq!(seg.grid().spacing(), [3.0, 3.0, 3.0]);
    assert_eq!(u64::from(seg.max_label()), r["max_label"].as_u64().unwrap());
    for id in usizes(&r["labels_present"]) {
        assert!(seg.count(id as u8) > 0, "label {id} lost");
    }
    let l3 = r["l3_label"].as_u64().unwrap() as u8;
    assert_eq!(l3, 29);
    let muscles: Vec<(u8, u8)> = usizes(&r["muscle_labels"])
        .iter()
        .map(|&id| (id as u8, 1))
        .collect();
    let muscle = remap_labels(&seg, &muscles);
    for (margin, sel) in r["l3_selection"].as_object().unwrap() {
        let margin: usize = margin.parse().unwrap();
        let ks = slices_containing_label(&seg, SliceAxis::Axial, l3, margin);
        assert_eq!(ks, usizes(&sel["slices"]), "margin {margin}");
        let counts: Vec<usize> = ks
            .iter()
            .map(|&k| slice_labels(&muscle, SliceAxis::Axial, k).unwrap().count(1))
            .collect();
        assert_eq!(counts, usizes(&sel["muscle_pixels"]), "margin {margin}");
        let l3_counts: Vec<usize> = ks
            .iter()
            .map(|&k| slice_labels(&seg, SliceAxis::Axial, k).unwrap().count(l3))
            .collect();
        assert_eq!(l3_counts, usizes(&sel["l3_pixels"]));
    }
    // Mid-L3 slice: area and mean attenuation of the muscle labels.
    let mid = r["mid_l3_slice"].as_u64().unwrap() as usize;
    let ct = load_nifti_image(&dir.join("example_ct.nii.gz")).unwrap();
    let img = slice_image(&ct, SliceAxis::Axial, mid).unwrap();
    let m = slice_labels(&muscle, SliceAxis::Axial, mid).unwrap();
    let area = m.count(1) as f64 * 9.0 / 100.0;
    assert!((area - r["mid_l3_muscle_area_cm2"].as_f64().unwrap()).abs() < 0.01);
    let (sum, n) = img
        .data()
        .iter()
        .zip(m.data())
        .filter(|(_, l)| **l == 1)
        .fold((0.0f64, 0usize), |(s, n), (v, _)| {
            (s + f64::from(*v), n + 1)
        });
    let mean = sum / n as f64;
    assert!(
        (mean - r["mid_l3_muscle_mean_hu"].as_f64().unwrap()).abs() < 0.01,
        "{mean}"
    );
}

#[test]
fn real_ct_crop_with_tissue_mask() {
    let Some(dir) = reference_dir() else { return };
    let r = &reference()["crop"];
    let mask =
        load_nifti_labels(&dir.join("example_seg_tissue_types/skeletal_muscle.nii.gz")).unwrap();
    let sm = load_nifti_image(&dir.join("example_ct_sm.nii.gz")).unwrap();
    assert_eq!(mask.grid(), sm.grid());
    let counts: Vec<usize> = (0..SliceAxis::Axial.count(mask.grid()))
        .map(|k| slice_labels(&mask, SliceAxis::Axial, k).unwrap().count(1))
        .collect();
    assert_eq!(counts, usizes(&r["muscle_pixels_per_slice"]));
    assert_eq!(mask.max_label(), 1);
    // The crop holds no L3; L2 (id 30) is in its first slices.
    let seg = load_nifti_labels(&dir.join("example_seg.nii.gz")).unwrap();
    assert!(slices_containing_label(&seg, SliceAxis::Axial, 29, 0).is_empty());
    assert_eq!(
        slices_containing_label(&seg, SliceAxis::Axial, 30, 0),
        usizes(&r["l2_slices"])
    );
    // The crop is example_ct's axial slices from the recorded offset on.
    let off = r["equals_example_ct_k_offset"].as_u64().unwrap() as usize;
    let ct = load_nifti_image(&dir.join("example_ct.nii.gz")).unwrap();
    for k in [0, 29] {
        assert_eq!(
            slice_image(&sm, SliceAxis::Axial, k).unwrap().data(),
            slice_image(&ct, SliceAxis::Axial, k + off).unwrap().data()
        );
    }
}
