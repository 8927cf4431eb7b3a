//! Loader tests: small fixtures made here or by tests/reference/make_fixtures.py
//! (pydicom, nibabel, numpy values in reference.json), bad inputs, and the real
//! data under ../shared/data when present.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::fs;
use std::path::{Path, PathBuf};

use sensibench_core::{Grid, Image, LabelMap};
use sensibench_data::*;
use serde_json::Value;

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

fn reference() -> Value {
    let p = reference_dir().join("reference.json");
    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
}

/// The shared real data, or None (with a note) when absent.
fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent", p.display());
        None
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

// ---------------------------------------------------------------- PNG / JPEG

fn write_png(
    path: &Path,
    w: u32,
    h: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
    palette: Option<Vec<u8>>,
) {
    let file = fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(color);
    enc.set_depth(depth);
    if let Some(p) = palette {
        enc.set_palette(p);
    }
    let mut wr = enc.write_header().unwrap();
    wr.write_image_data(data).unwrap();
}

#[test]
fn png_grey_8_and_16_bit() {
    let d = tempfile::tempdir().unwrap();
    let p8 = d.path().join("g8.png");
    write_png(
        &p8,
        3,
        2,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        &[0, 1, 2, 250, 254, 255],
        None,
    );
    let im = load_image(&p8, [0.5, 0.25]).unwrap();
    assert_eq!(im.grid().dims(), [1, 2, 3]);
    assert_eq!(im.grid().spacing(), [1.0, 0.5, 0.25]);
    assert_eq!(im.data(), &[0.0, 1.0, 2.0, 250.0, 254.0, 255.0]);
    // 16-bit big-endian samples: 1, 256, 65535, 300
    let p16 = d.path().join("g16.png");
    write_png(
        &p16,
        2,
        2,
        png::ColorType::Grayscale,
        png::BitDepth::Sixteen,
        &[0, 1, 1, 0, 255, 255, 1, 44],
        None,
    );
    let im = load_image(&p16, [1.0, 1.0]).unwrap();
    assert_eq!(im.data(), &[1.0, 256.0, 65535.0, 300.0]);
    // As a label map, the 300 is refused.
    let e = load_label_map(&p16, [1.0, 1.0]).unwrap_err().to_string();
    assert!(
        e.contains("g16.png") && e.contains("label 256 at (y=0, x=1)") && e.contains("exceeds 255"),
        "{e}"
    );
}

#[test]
fn png_rgb_rgba_to_bt601_luma() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("rgb.png");
    write_png(
        &p,
        2,
        1,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        &[100, 150, 200, 255, 0, 0],
        None,
    );
    let im = load_image(&p, [1.0, 1.0]).unwrap();
    // 0.299*100 + 0.587*150 + 0.114*200 = 140.75; 0.299*255 = 76.245
    assert!((im.data()[0] - 140.75).abs() < 1e-4, "{:?}", im.data());
    assert!((im.data()[1] - 76.245).abs() < 1e-4);
    let pa = d.path().join("rgba.png");
    write_png(
        &pa,
        1,
        1,
        png::ColorType::Rgba,
        png::BitDepth::Eight,
        &[100, 150, 200, 7],
        None,
    );
    assert!((load_image(&pa, [1.0, 1.0]).unwrap().data()[0] - 140.75).abs() < 1e-4);
    // An RGB mask whose channels differ is refused, a grey-RGB one accepted.
    let e = load_label_map(&p, [1.0, 1.0]).unwrap_err().to_string();
    assert!(
        e.contains("rgb.png") && e.contains("colour label map"),
        "{e}"
    );
    let pg = d.path().join("greyrgb.png");
    write_png(
        &pg,
        2,
        1,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        &[2, 2, 2, 3, 3, 3],
        None,
    );
    assert_eq!(load_label_map(&pg, [1.0, 1.0]).unwrap().data(), &[2, 3]);
}

#[test]
fn png_palette_and_low_bit_masks() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("pal.png");
    // 4-bit indexed: indices 0,1,2,3,1 (packed two per byte), palette of colours.
    let palette = vec![0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255];
    write_png(
        &p,
        5,
        1,
        png::ColorType::Indexed,
        png::BitDepth::Four,
        &[0x01, 0x23, 0x10],
        Some(palette),
    );
    let m = load_label_map(&p, [1.2, 1.2]).unwrap();
    assert_eq!(m.data(), &[0, 1, 2, 3, 1]);
    assert_eq!(m.grid().spacing(), [1.0, 1.2, 1.2]);
    // As an image the palette is expanded to RGB and converted to luma: red = 76.245.
    let im = load_image(&p, [1.0, 1.0]).unwrap();
    assert!((im.data()[1] - 76.245).abs() < 1e-4, "{:?}", im.data());
    // 2-bit grey: 0,1,2,3 in one byte.
    let p2 = d.path().join("g2.png");
    write_png(
        &p2,
        4,
        1,
        png::ColorType::Grayscale,
        png::BitDepth::Two,
        &[0b00_01_10_11],
        None,
    );
    assert_eq!(
        load_label_map(&p2, [1.0, 1.0]).unwrap().data(),
        &[0, 1, 2, 3]
    );
}

#[test]
fn corrupt_missing_and_unsupported_rasters() {
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("broken.png");
    fs::write(&bad, b"\x89PNG\r\n\x1a\nthis is not a png").unwrap();
    let e = load_image(&bad, [1.0, 1.0]).unwrap_err().to_string();
    assert!(
        e.contains("broken.png") && e.contains("cannot decode"),
        "{e}"
    );
    let e = load_label_map(&bad, [1.0, 1.0]).unwrap_err().to_string();
    assert!(
        e.contains("broken.png") && e.contains("cannot decode as PNG"),
        "{e}"
    );
    // A valid PNG cut short.
    let good = d.path().join("g.png");
    write_png(
        &good,
        16,
        16,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        &[7; 256],
        None,
    );
    let bytes = fs::read(&good).unwrap();
    let cut = d.path().join("cut.png");
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = load_image(&cut, [1.0, 1.0]).unwrap_err().to_string();
    assert!(e.contains("cut.png"), "{e}");
    assert!(
        load_label_map(&cut, [1.0, 1.0])
            .unwrap_err()
            .to_string()
            .contains("cut.png")
    );
    let missing = d.path().join("nope.png");
    let e = load_image(&missing, [1.0, 1.0]).unwrap_err();
    assert!(matches!(e, sensibench_core::Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("nope.png"));
    assert!(
        load_label_map(&missing, [1.0, 1.0])
            .unwrap_err()
            .to_string()
            .contains("nope.png")
    );
    let e = load_label_map(&d.path().join("m.jpg"), [1.0, 1.0])
        .unwrap_err()
        .to_string();
    assert!(e.contains("unsupported label map format"), "{e}");
    // Bad spacing is an error, not a panic.
    assert!(load_image(&good, [0.0, 1.0]).is_err());
}

#[test]
fn jpeg_roundtrip_shape() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("x.jpg");
    let buf = image::GrayImage::from_fn(8, 5, |x, y| image::Luma([(x * 20 + y * 5) as u8]));
    buf.save(&p).unwrap();
    let im = load_image(&p, [1.0, 1.0]).unwrap();
    assert_eq!(im.grid().dims(), [1, 5, 8]);
    // Lossy, but close to the source.
    for y in 0..5 {
        for x in 0..8 {
            let want = (x * 20 + y * 5) as f32;
            assert!(
                (im.at(0, y, x) - want).abs() < 12.0,
                "{} vs {want}",
                im.at(0, y, x)
            );
        }
    }
}

#[test]
fn real_png_and_jpeg_match_numpy() {
    let r = reference();
    for (rel, e) in r["png_real"].as_object().unwrap() {
        let Some(p) = shared(rel) else { return };
        let shape: Vec<usize> = e["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let (data, dims): (Vec<f64>, [usize; 3]) = if rel.contains("masks") {
            let m = load_label_map(&p, [1.4, 1.4]).unwrap();
            for (k, c) in e["counts"].as_object().unwrap() {
                assert_eq!(
                    m.count(k.parse().unwrap()),
                    c.as_u64().unwrap() as usize,
                    "{rel} label {k}"
                );
            }
            (
                m.data().iter().map(|&v| f64::from(v)).collect(),
                m.grid().dims(),
            )
        } else {
            let im = load_image(&p, [1.4, 1.4]).unwrap();
            (
                im.data().iter().map(|&v| f64::from(v)).collect(),
                im.grid().dims(),
            )
        };
        assert_eq!(&dims[1..], &shape[..], "{rel}");
        for pt in e["points"].as_array().unwrap() {
            let (y, x, v) = (
                pt[0].as_u64().unwrap() as usize,
                pt[1].as_u64().unwrap() as usize,
                f(&pt[2]),
            );
            assert!(
                close(data[y * shape[1] + x], v, 1e-5),
                "{rel} ({y},{x}) {} vs {v}",
                data[y * shape[1] + x]
            );
        }
        let sum: f64 = data.iter().sum();
        assert!(close(sum, f(&e["sum"]), 1e-6), "{rel} sum {sum}");
    }
    for (rel, e) in r["jpeg_real"].as_object().unwrap() {
        let Some(p) = shared(rel) else { return };
        let im = load_image(&p, [1.0, 1.0]).unwrap();
        let want: Vec<f64> = e["values"].as_array().unwrap().iter().map(f).collect();
        assert_eq!(im.data().len(), want.len());
        // Different JPEG decoders (zune-jpeg vs libjpeg) may differ by a few grey levels.
        let max_diff = im
            .data()
            .iter()
            .zip(&want)
            .map(|(a, b)| (f64::from(*a) - b).abs())
            .fold(0.0, f64::max);
        let mean = im.data().iter().map(|&v| f64::from(v)).sum::<f64>() / want.len() as f64;
        assert!(max_diff <= 4.0, "{rel}: max |diff| {max_diff}");
        assert!((mean - f(&e["mean"])).abs() < 0.5, "{rel}: mean {mean}");
    }
}

// ---------------------------------------------------------------- NIfTI

fn ramp_image(dims: [usize; 3], spacing: [f64; 3]) -> Image {
    let g = Grid::new_3d(dims, spacing).unwrap();
    let n = g.len();
    Image::new(g, (0..n).map(|v| v as f32 * 0.5 - 3.0).collect()).unwrap()
}

#[test]
fn nifti_fixtures_match_nibabel() {
    let r = reference();
    for (name, e) in r["nifti_synthetic"].as_object().unwrap() {
        let p = reference_dir().join(name);
        let ijk: Vec<usize> = e["shape_ijk"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let pixdim: Vec<f64> = e["pixdim"].as_array().unwrap().iter().map(f).collect();
        let want: Vec<f64> = e["values_zyx"].as_array().unwrap().iter().map(f).collect();
        let im = load_nifti_image(&p).unwrap();
        assert_eq!(im.grid().dims(), [ijk[2], ijk[1], ijk[0]], "{name}");
        assert_eq!(im.grid().ndim(), 3);
        let sp = im.grid().spacing();
        for a in 0..3 {
            assert!(
                close(sp[2 - a], pixdim[a], 1e-6),
                "{name} spacing {sp:?} vs {pixdim:?}"
            );
        }
        for (k, (a, b)) in im.data().iter().zip(&want).enumerate() {
            assert!(
                close(f64::from(*a), *b, 1e-6),
                "{name} voxel {k}: {a} vs {b}"
            );
        }
        if name.contains("labels_u8") {
            let m = load_nifti_labels(&p).unwrap();
            assert!(m.data().iter().zip(&want).all(|(a, b)| f64::from(*a) == *b));
        }
    }
    let e = load_nifti_labels(&reference_dir().join("nii_labels_fraction.nii"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("nii_labels_fraction.nii") && e.contains("2.5") && e.contains("(i=0, j=1, k=0)"),
        "{e}"
    );
    // Scaled int16 (slope 0.5) values are not integers either.
    let e = load_nifti_labels(&reference_dir().join("nii_i16_scaled.nii.gz"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("labels must be integers"), "{e}");
}

#[test]
fn nifti_round_trips() {
    let d = tempfile::tempdir().unwrap();
    let im = ramp_image([3, 4, 5], [2.5, 0.75, 0.5]);
    for name in ["a.nii", "a.nii.gz"] {
        let p = d.path().join(name);
        save_nifti_image(&p, &im).unwrap();
        let back = load_nifti_image(&p).unwrap();
        assert_eq!(back, im, "{name}");
    }
    let g = Grid::new_3d([2, 3, 4], [3.0, 1.0, 1.0]).unwrap();
    let labels = LabelMap::new(g, (0..24).map(|v| (v % 5) as u8 * 60).collect()).unwrap();
    let p = d.path().join("l.nii.gz");
    save_nifti_labels(&p, &labels).unwrap();
    assert_eq!(load_nifti_labels(&p).unwrap(), labels);
    // 2D maps: saved with depth 1, back as 2D through load_label_map.
    let m2 = LabelMap::new(
        Grid::new_2d(2, 3, [1.5, 2.0]).unwrap(),
        vec![0, 1, 2, 3, 2, 1],
    )
    .unwrap();
    let p2 = d.path().join("m2.nii");
    save_nifti_labels(&p2, &m2).unwrap();
    let back = load_label_map(&p2, [9.0, 9.0]).unwrap();
    assert_eq!(back, m2);
    let e = save_nifti_image(&d.path().join("x.img"), &im)
        .unwrap_err()
        .to_string();
    assert!(e.contains(".nii"), "{e}");
}

#[test]
fn truncated_and_missing_nifti() {
    let d = tempfile::tempdir().unwrap();
    let im = ramp_image([4, 8, 8], [1.0, 1.0, 1.0]);
    let p = d.path().join("v.nii");
    save_nifti_image(&p, &im).unwrap();
    let bytes = fs::read(&p).unwrap();
    let cut = d.path().join("cut.nii");
    fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let e = load_nifti_image(&cut).unwrap_err().to_string();
    assert!(e.contains("cut.nii") && e.contains("truncated"), "{e}");
    let hdr_only = d.path().join("hdr.nii");
    fs::write(&hdr_only, &bytes[..200]).unwrap();
    let e = load_nifti_image(&hdr_only).unwrap_err().to_string();
    assert!(e.contains("hdr.nii"), "{e}");
    let pz = d.path().join("v.nii.gz");
    save_nifti_image(&pz, &im).unwrap();
    let bz = fs::read(&pz).unwrap();
    let cutz = d.path().join("cut.nii.gz");
    fs::write(&cutz, &bz[..bz.len() / 2]).unwrap();
    let e = load_nifti_image(&cutz).unwrap_err().to_string();
    assert!(e.contains("cut.nii.gz"), "{e}");
    let e = load_nifti_labels(&cutz).unwrap_err().to_string();
    assert!(e.contains("cut.nii.gz"), "{e}");
    let garbage = d.path().join("garbage.nii");
    fs::write(&garbage, vec![0x42u8; 400]).unwrap();
    let e = load_nifti_image(&garbage).unwrap_err().to_string();
    assert!(e.contains("garbage.nii"), "{e}");
    let e = load_nifti_image(&d.path().join("none.nii.gz")).unwrap_err();
    assert!(
        matches!(e, sensibench_core::Error::Io { .. }) && e.to_string().contains("none.nii.gz"),
        "{e}"
    );
}

#[test]
fn slicing_along_each_axis() {
    // value = z*12 + y*4 + x on a 2x3x4 grid, spacing (dz, dy, dx) = (3, 2, 1)
    let g = Grid::new_3d([2, 3, 4], [3.0, 2.0, 1.0]).unwrap();
    let im = Image::new(g, (0..24).map(|v| v as f32).collect()).unwrap();
    let a = slice_image(&im, SliceAxis::Axial, 1).unwrap();
    assert_eq!(a.grid().dims(), [1, 3, 4]);
    assert_eq!(a.grid().spacing(), [1.0, 2.0, 1.0]);
    assert_eq!(a.data()[..4], [12.0, 13.0, 14.0, 15.0]);
    let c = slice_image(&im, SliceAxis::Coronal, 1).unwrap();
    assert_eq!(c.grid().dims(), [1, 2, 4]);
    assert_eq!(c.grid().spacing(), [1.0, 3.0, 1.0]);
    assert_eq!(c.data(), &[4.0, 5.0, 6.0, 7.0, 16.0, 17.0, 18.0, 19.0]);
    let s = slice_image(&im, SliceAxis::Sagittal, 2).unwrap();
    assert_eq!(s.grid().dims(), [1, 2, 3]);
    assert_eq!(s.grid().spacing(), [1.0, 3.0, 2.0]);
    assert_eq!(s.data(), &[2.0, 6.0, 10.0, 14.0, 18.0, 22.0]);
    assert_eq!(s.grid().ndim(), 2);
    let e = slice_image(&im, SliceAxis::Sagittal, 4)
        .unwrap_err()
        .to_string();
    assert!(e.contains("< 4") && e.contains("sagittal"), "{e}");
    let m = LabelMap::new(im.grid().clone(), (0..24).map(|v| v as u8).collect()).unwrap();
    assert_eq!(
        slice_labels(&m, SliceAxis::Coronal, 2).unwrap().data(),
        &[8, 9, 10, 11, 20, 21, 22, 23]
    );
}

#[test]
fn real_ct_nifti_matches_nibabel() {
    let r = reference();
    for (rel, e) in r["nifti_real"].as_object().unwrap() {
        let Some(p) = shared(rel) else { return };
        let ijk: Vec<usize> = e["shape_ijk"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let (data, grid): (Vec<f64>, Grid) = if e.get("counts").is_some() {
            let m = load_nifti_labels(&p).unwrap();
            for (k, c) in e["counts"].as_object().unwrap() {
                assert_eq!(
                    m.count(k.parse().unwrap()),
                    c.as_u64().unwrap() as usize,
                    "{rel} label {k}"
                );
            }
            (
                m.data().iter().map(|&v| f64::from(v)).collect(),
                m.grid().clone(),
            )
        } else {
            let im = load_nifti_image(&p).unwrap();
            (
                im.data().iter().map(|&v| f64::from(v)).collect(),
                im.grid().clone(),
            )
        };
        assert_eq!(grid.dims(), [ijk[2], ijk[1], ijk[0]]);
        assert_eq!(grid.spacing(), [3.0, 3.0, 3.0]);
        for pt in e["points_ijk"].as_array().unwrap() {
            let (i, j, k) = (
                pt[0].as_u64().unwrap() as usize,
                pt[1].as_u64().unwrap() as usize,
                pt[2].as_u64().unwrap() as usize,
            );
            assert_eq!(
                data[grid.index(k, j, i)],
                f(&pt[3]),
                "{rel} voxel ({i},{j},{k})"
            );
        }
        let sum: f64 = data.iter().sum();
        assert!(close(sum, f(&e["sum"]), 1e-9), "{rel}: {sum}");
    }
}

// ---------------------------------------------------------------- DICOM

#[test]
fn dicom_fixtures_match_pydicom() {
    let r = reference();
    for (name, e) in r["dicom_synthetic"].as_object().unwrap() {
        let p = reference_dir().join(name);
        let im = load_dicom(&p).unwrap();
        let shape: Vec<usize> = e["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(im.grid().dims(), [1, shape[0], shape[1]], "{name}");
        let sp: Vec<f64> = e["spacing_yx"].as_array().unwrap().iter().map(f).collect();
        assert_eq!(&im.grid().spacing()[1..], &sp[..], "{name}");
        let want: Vec<f64> = e["values"].as_array().unwrap().iter().map(f).collect();
        let got: Vec<f64> = im.data().iter().map(|&v| f64::from(v)).collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(
            dicom_slice_location(&p).unwrap(),
            e["slice_location"].as_f64(),
            "{name}"
        );
    }
}

#[test]
fn real_dicoms_match_pydicom() {
    let r = reference();
    for (rel, e) in r["dicom_real"].as_object().unwrap() {
        let Some(p) = shared(rel) else { return };
        assert_eq!(
            dicom_slice_location(&p).unwrap(),
            Some(f(&e["slice_location"])),
            "{rel}"
        );
        if e.get("compressed").is_some() {
            let err = load_dicom(&p).unwrap_err().to_string();
            assert!(
                err.contains("JPEG 2000")
                    && err.contains("compressed")
                    && err.contains(&rel[rel.len() - 10..]),
                "{err}"
            );
            continue;
        }
        let im = load_dicom(&p).unwrap();
        let w = im.grid().width();
        assert_eq!(im.grid().height(), e["shape"][0].as_u64().unwrap() as usize);
        assert_eq!(w, e["shape"][1].as_u64().unwrap() as usize);
        assert_eq!(im.grid().spacing()[1], f(&e["spacing_yx"][0]));
        assert_eq!(im.grid().spacing()[2], f(&e["spacing_yx"][1]));
        for pt in e["points"].as_array().unwrap() {
            let (y, x) = (
                pt[0].as_u64().unwrap() as usize,
                pt[1].as_u64().unwrap() as usize,
            );
            assert_eq!(f64::from(im.at(0, y, x)), f(&pt[2]), "{rel} ({y},{x})");
        }
        let sum: f64 = im.data().iter().map(|&v| f64::from(v)).sum();
        assert_eq!(sum, f(&e["sum"]), "{rel}");
    }
}

/// A minimal DICOM written with dicom-object (explicit VR little endian).
fn write_dicom(path: &Path, rows: u16, cols: u16, pixels: Vec<u16>) {
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;
    use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
    let mut obj = InMemDicomObject::new_empty();
    obj.put(DataElement::new(
        tags::SOP_CLASS_UID,
        VR::UI,
        PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.4"),
    ));
    obj.put(DataElement::new(
        tags::SOP_INSTANCE_UID,
        VR::UI,
        PrimitiveValue::from("1.2.3.4"),
    ));
    obj.put(DataElement::new(
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(rows),
    ));
    obj.put(DataElement::new(
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(cols),
    ));
    obj.put(DataElement::new(
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(1u16),
    ));
    obj.put(DataElement::new(
        tags::BITS_ALLOCATED,
        VR::US,
        PrimitiveValue::from(16u16),
    ));
    obj.put(DataElement::new(
        tags::BITS_STORED,
        VR::US,
        PrimitiveValue::from(16u16),
    ));
    obj.put(DataElement::new(
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(0u16),
    ));
    obj.put(DataElement::new(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        PrimitiveValue::from("MONOCHROME2"),
    ));
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(pixels.into()),
    ));
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax("1.2.840.10008.1.2.1")
                .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.4")
                .media_storage_sop_instance_uid("1.2.3.4"),
        )
        .unwrap();
    file.write_to_file(path).unwrap();
}

#[test]
fn dicom_written_here_and_bad_inputs() {
    let d = tempfile::tempdir().unwrap();
    let ok = d.path().join("ok.dcm");
    write_dicom(&ok, 2, 3, vec![0, 1, 2, 1000, 40000, 65535]);
    let im = load_dicom(&ok).unwrap();
    assert_eq!(im.data(), &[0.0, 1.0, 2.0, 1000.0, 40000.0, 65535.0]);
    assert_eq!(im.grid().spacing(), [1.0, 1.0, 1.0]); // no PixelSpacing: 1 mm
    assert_eq!(dicom_slice_location(&ok).unwrap(), None);
    // PixelData shorter than Rows x Columns.
    let short = d.path().join("short.dcm");
    write_dicom(&short, 4, 4, vec![1, 2, 3]);
    let e = load_dicom(&short).unwrap_err().to_string();
    assert!(
        e.contains("short.dcm") && e.contains("truncated PixelData"),
        "{e}"
    );
    // A file cut in the middle of its pixel data.
    let bytes = fs::read(reference_dir().join("dcm_u16.dcm")).unwrap();
    let cut = d.path().join("cut.dcm");
    fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
    let e = load_dicom(&cut).unwrap_err().to_string();
    assert!(e.contains("cut.dcm"), "{e}");
    // Garbage after a valid preamble.
    let mut junk = vec![0u8; 128];
    junk.extend_from_slice(b"DICM");
    junk.extend_from_slice(&[0xff; 64]);
    let bad = d.path().join("junk.dcm");
    fs::write(&bad, &junk).unwrap();
    let e = load_dicom(&bad).unwrap_err().to_string();
    assert!(
        e.contains("junk.dcm") && e.contains("cannot read as DICOM"),
        "{e}"
    );
    assert!(
        dicom_slice_location(&bad)
            .unwrap_err()
            .to_string()
            .contains("junk.dcm")
    );
    let e = load_dicom(&d.path().join("missing.dcm")).unwrap_err();
    assert!(
        matches!(e, sensibench_core::Error::Io { .. }) && e.to_string().contains("missing.dcm")
    );
}

// ---------------------------------------------------------------- datasets

fn grey_png(path: &Path, w: u32, h: u32, v: u8) {
    write_png(
        path,
        w,
        h,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        &vec![v; (w * h) as usize],
        None,
    );
}

#[test]
fn image_folder_dataset() {
    let d = tempfile::tempdir().unwrap();
    let (img, msk) = (d.path().join("img"), d.path().join("msk"));
    fs::create_dir_all(&img).unwrap();
    fs::create_dir_all(&msk).unwrap();
    for (name, v) in [("b.png", 20u8), ("a.png", 10), ("c.PNG", 30)] {
        grey_png(&img.join(name), 4, 3, v);
        grey_png(&msk.join(name.to_lowercase()), 4, 3, v / 10);
    }
    fs::write(img.join("notes.txt"), "ignored").unwrap();
    let ds = ImageFolderDataset::open(&img, Some(&msk), [1.5, 1.5]).unwrap();
    assert_eq!(ds.len(), 3);
    assert!(ds.has_masks());
    assert_eq!(
        (0..3).map(|i| ds.sample_id(i)).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    let s = ds.get(1).unwrap();
    assert_eq!(s.id, "b");
    assert_eq!(s.image.data()[0], 20.0);
    assert_eq!(s.mask.as_ref().unwrap().data()[0], 2);
    assert_eq!(s.image.grid().spacing(), [1.0, 1.5, 1.5]);
    assert!(ds.get(3).is_err());
    let no_masks = ImageFolderDataset::open(&img, None, [1.0, 1.0]).unwrap();
    assert!(!no_masks.has_masks() && no_masks.get(0).unwrap().mask.is_none());

    // Missing mask: both the image and the expected mask are named.
    fs::remove_file(msk.join("b.png")).unwrap();
    let e = ImageFolderDataset::open(&img, Some(&msk), [1.0, 1.0])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("b.png") && e.contains("msk") && e.contains("no mask"),
        "{e}"
    );
    // Shape mismatch: both named.
    grey_png(&msk.join("b.png"), 5, 3, 1);
    let e = ImageFolderDataset::open(&img, Some(&msk), [1.0, 1.0])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("img/b.png")
            && e.contains("msk/b.png")
            && e.contains("3x4")
            && e.contains("3x5"),
        "{e}"
    );
    // Empty / missing folders.
    let empty = d.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    assert!(
        ImageFolderDataset::open(&empty, None, [1.0, 1.0])
            .unwrap_err()
            .to_string()
            .contains("no .png")
    );
    assert!(ImageFolderDataset::open(&d.path().join("nowhere"), None, [1.0, 1.0]).is_err());
}

#[test]
fn image_folder_mismatch_found_at_get_for_nifti_masks() {
    let d = tempfile::tempdir().unwrap();
    let (img, msk) = (d.path().join("i"), d.path().join("m"));
    fs::create_dir_all(&img).unwrap();
    fs::create_dir_all(&msk).unwrap();
    grey_png(&img.join("x.png"), 4, 3, 1);
    let m = LabelMap::new(Grid::new_2d(2, 2, [1.0, 1.0]).unwrap(), vec![0, 1, 2, 3]).unwrap();
    save_nifti_labels(&msk.join("x.nii.gz"), &m).unwrap();
    let ds = ImageFolderDataset::open(&img, Some(&msk), [1.0, 1.0]).unwrap();
    let e = ds.get(0).unwrap_err().to_string();
    assert!(
        e.contains("x.png") && e.contains("x.nii.gz") && e.contains("3x4") && e.contains("2x2"),
        "{e}"
    );
}

#[test]
fn nifti_slice_dataset() {
    let d = tempfile::tempdir().unwrap();
    let im = ramp_image([3, 4, 5], [2.0, 1.0, 1.0]);
    let g = im.grid().clone();
    let lab = LabelMap::new(g, (0..60).map(|v| (v % 4) as u8).collect()).unwrap();
    let (pi, pm) = (d.path().join("vol.nii.gz"), d.path().join("vol_seg.nii.gz"));
    save_nifti_image(&pi, &im).unwrap();
    save_nifti_labels(&pm, &lab).unwrap();
    let ds = NiftiSliceDataset::open(
        vec![pi.clone()],
        vec![Some(pm.clone())],
        SliceAxis::Coronal,
        None,
    )
    .unwrap();
    assert_eq!(ds.len(), 4);
    assert!(ds.has_masks());
    assert_eq!(ds.sample_id(2), "vol-coronal002");
    let s = ds.get(2).unwrap();
    assert_eq!(s.image, slice_image(&im, SliceAxis::Coronal, 2).unwrap());
    assert_eq!(
        s.mask.unwrap(),
        slice_labels(&lab, SliceAxis::Coronal, 2).unwrap()
    );
    let sel = NiftiSliceDataset::open(
        vec![pi.clone(), pi.clone()],
        vec![],
        SliceAxis::Axial,
        Some(vec![2, 0]),
    )
    .unwrap();
    assert_eq!(sel.len(), 4);
    assert!(!sel.has_masks());
    assert_eq!(sel.sample_id(0), "vol-axial002");
    assert_eq!(sel.get(3).unwrap().image, im.slice_z(0).unwrap());
    let e = NiftiSliceDataset::open(vec![pi.clone()], vec![], SliceAxis::Axial, Some(vec![3]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("vol.nii.gz") && e.contains("slice 3 out of range"),
        "{e}"
    );
    // Mask of another shape: both files named.
    let other = d.path().join("other.nii");
    save_nifti_labels(
        &other,
        &LabelMap::filled(Grid::new_3d([3, 4, 6], [1.0; 3]).unwrap(), 0),
    )
    .unwrap();
    let e = NiftiSliceDataset::open(vec![pi.clone()], vec![Some(other)], SliceAxis::Axial, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("vol.nii.gz")
            && e.contains("other.nii")
            && e.contains("3x4x5")
            && e.contains("3x4x6"),
        "{e}"
    );
    assert!(NiftiSliceDataset::open(vec![pi], vec![None, None], SliceAxis::Axial, None).is_err());
}

#[test]
fn dicom_folder_dataset() {
    let d = tempfile::tempdir().unwrap();
    for name in ["dcm_u16.dcm", "dcm_s12.dcm", "dcm_u8_mono1.dcm"] {
        fs::copy(reference_dir().join(name), d.path().join(name)).unwrap();
    }
    fs::write(d.path().join("readme.txt"), "not dicom").unwrap();
    let ds = DicomFolderDataset::open(d.path()).unwrap();
    assert_eq!(ds.len(), 3);
    assert!(!ds.has_masks());
    assert_eq!(ds.sample_id(0), "dcm_s12");
    assert_eq!(ds.sample_id(2), "dcm_u8_mono1");
    assert!(ds.get(1).unwrap().mask.is_none());
    let empty = tempfile::tempdir().unwrap();
    assert!(
        DicomFolderDataset::open(empty.path())
            .unwrap_err()
            .to_string()
            .contains("no DICOM")
    );
}

#[test]
fn real_folders() {
    if let (Some(img), Some(msk)) = (
        shared("cardiac-misas/example/kaggle/images"),
        shared("cardiac-misas/example/kaggle/masks_full"),
    ) {
        let ds = ImageFolderDataset::open(&img, Some(&msk), [1.4, 1.4]).unwrap();
        assert_eq!(ds.len(), 2);
        for i in 0..2 {
            let s = ds.get(i).unwrap();
            assert_eq!(s.image.grid().dims(), [1, 256, 230]);
            assert_eq!(s.mask.unwrap().max_label(), 3);
        }
    }
    if let Some(dir) = shared("cardiac-misas/example/kaggle/sample_images") {
        let ds = DicomFolderDataset::open(&dir).unwrap();
        assert_eq!(ds.len(), 21);
        assert_eq!(ds.sample_id(0), "IM-0901-0009");
        assert_eq!(ds.get(20).unwrap().id, "IM-9615-0002");
    }
    if let (Some(ct), Some(seg)) = (
        shared("ct-totalseg/tests/reference_files/example_ct.nii.gz"),
        shared("ct-totalseg/tests/reference_files/example_seg_fast_force_split.nii.gz"),
    ) {
        let ds =
            NiftiSliceDataset::open(vec![ct], vec![Some(seg)], SliceAxis::Axial, Some(vec![50]))
                .unwrap();
        let s = ds.get(0).unwrap();
        assert_eq!(s.id, "example_ct-axial050");
        assert_eq!(s.image.grid().dims(), [1, 101, 122]);
        assert_eq!(s.image.grid().spacing(), [1.0, 3.0, 3.0]);
        assert!(s.mask.unwrap().max_label() > 0);
    }
}
