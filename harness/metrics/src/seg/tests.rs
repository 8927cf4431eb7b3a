//! Unit tests of the segmentation metrics: registry, hand-computed cases,
//! empty masks, shapes, surfaces, percentiles.

use sensibench_core::{Grid, LabelMap};

use super::surface::surface;
use super::*;

fn square(h: usize, w: usize, y0: usize, x0: usize, side: usize, sp: [f64; 2]) -> LabelMap {
    let g = Grid::new_2d(h, w, sp).unwrap();
    let mut m = LabelMap::filled(g, 0);
    for y in y0..y0 + side {
        for x in x0..x0 + side {
            let i = m.grid().index(0, y, x);
            m.data_mut()[i] = 1;
        }
    }
    m
}

#[test]
fn names_round_trip() {
    for &m in SegMetric::ALL {
        assert_eq!(SegMetric::from_name(m.name()).unwrap(), m);
        assert_eq!(m.name().parse::<SegMetric>().unwrap(), m);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, format!("\"{}\"", m.name()));
        assert!(!m.summary().is_empty());
    }
    let e = SegMetric::from_name("hd96").unwrap_err().to_string();
    assert!(
        e.contains("hd96") && e.contains("did you mean `hd95`"),
        "{e}"
    );
    assert_eq!(SegMetric::Hd95.unit(), "mm");
    assert_eq!(SegMetric::Dice.unit(), "");
    assert!(SegMetric::Iou.higher_is_better() && !SegMetric::Assd.higher_is_better());
}

#[test]
fn registry_table_holds_every_fact() {
    let names: Vec<&str> = SegMetric::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        [
            "dice",
            "iou",
            "hausdorff",
            "hd95",
            "hd95_monai",
            "assd",
            "rmssd"
        ]
    );
    for (i, &m) in SegMetric::ALL.iter().enumerate() {
        let info = m.info();
        assert_eq!((info.metric, m as usize), (m, i));
        assert_eq!(seg_metric_info(m.name()).map(|e| e.metric), Some(m));
        assert!(!info.convention.is_empty() && info.summary == m.summary());
        assert_eq!(
            m.is_distance(),
            !matches!(m, SegMetric::Dice | SegMetric::Iou)
        );
        // Overlaps: no unit, higher is better, 0..1; distances: mm, lower, 0..
        let want = if m.is_distance() {
            ("mm", false, (Some(0.0), None))
        } else {
            ("", true, (Some(0.0), Some(1.0)))
        };
        assert_eq!((info.unit, info.higher_is_better, info.range), want);
        assert_eq!((m.unit(), m.higher_is_better()), (want.0, want.1));
    }
    assert!(seg_metric_info("hd96").is_none());
    // serde's unknown-variant error lists every variant: exactly the table's
    // names, so a variant without an entry fails here.
    let err = serde_json::from_str::<SegMetric>("\"?\"").unwrap_err();
    let listed = format!("expected one of `{}` at line", names.join("`, `"));
    assert!(err.to_string().contains(&listed), "{err}");
}

#[test]
fn one_pixel_shift_of_a_square() {
    // 4x4 square (rows 2..=5) at columns 2..=5 (A) and 3..=6 (B), spacing
    // dy = 0.5, dx = 1.5. Overlap 12 of 16 each: Dice = 24/32, IoU = 12/20.
    // Surfaces are the 12-pixel rings. A's ring to B's ring: A's column 2
    // (4 px) is one column left of B's ring: 1.5. A's column 5 at rows 3, 4
    // lies inside B: nearest ring pixel is one row away (rows 2 or 5): 0.5.
    // The other 6 pixels of A's ring (rows 2 and 5, columns 3..=5) are on
    // B's ring: 0. B -> A is the mirror image.
    let a = square(9, 10, 2, 2, 4, [0.5, 1.5]);
    let b = square(9, 10, 2, 3, 4, [0.5, 1.5]);
    let v = score_class(&a, &b, 1, SegMetric::ALL).unwrap();
    assert_eq!(v[0], 0.75);
    assert_eq!(v[1], 0.6);
    // HD = the 1-column shift = dx.
    assert_eq!(v[2], 1.5);
    // Pooled over both directions: 24 values, 8 at 1.5, 4 at 0.5, 12 at 0.
    let assd = (8.0 * 1.5 + 4.0 * 0.5) / 24.0;
    assert!((v[5] - assd).abs() < 1e-12, "{}", v[5]);
    let rms = ((8.0 * 2.25 + 4.0 * 0.25) / 24.0_f64).sqrt();
    assert!((v[6] - rms).abs() < 1e-12, "{}", v[6]);
    // 95th percentile of 24 sorted values: index 21.85 among 8 values of 1.5 at the top.
    assert_eq!(v[3], 1.5);
    assert_eq!(v[4], 1.5);
}

#[test]
fn empty_rules() {
    let empty = LabelMap::filled(Grid::new_2d(5, 5, [1.0, 1.0]).unwrap(), 0);
    let one = square(5, 5, 1, 1, 2, [1.0, 1.0]);
    let both = score_class(&empty, &empty, 1, SegMetric::ALL).unwrap();
    assert_eq!(both, vec![1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    for (p, r) in [(&empty, &one), (&one, &empty)] {
        let v = score_class(p, r, 1, SegMetric::ALL).unwrap();
        assert_eq!(&v[..2], &[0.0, 0.0]);
        assert!(v[2..].iter().all(|x| x.is_nan()), "{v:?}");
    }
}

#[test]
fn shape_mismatch_names_both_shapes() {
    let a = LabelMap::filled(Grid::new_2d(5, 6, [1.0, 1.0]).unwrap(), 0);
    let b = LabelMap::filled(Grid::new_2d(5, 7, [1.0, 1.0]).unwrap(), 0);
    let e = score_class(&a, &b, 1, &[SegMetric::Dice])
        .unwrap_err()
        .to_string();
    assert!(e.contains("5x6") && e.contains("5x7"), "{e}");
    let c = LabelMap::filled(Grid::new_3d([1, 5, 6], [1.0; 3]).unwrap(), 0);
    assert!(score_all_classes(&a, &c, &[1], &[SegMetric::Dice]).is_err());
}

#[test]
fn border_voxels_are_surface_and_3d_single_slice_differs_from_2d() {
    // A full 3x3 image: in 2D every pixel but the centre is surface; the
    // centre is interior. Compared to itself all distances are 0, but vs.
    // the centre pixel alone the Hausdorff distance is the corner
    // distance sqrt(2) and only the ring counts.
    let g = Grid::new_2d(3, 3, [1.0, 1.0]).unwrap();
    let full = LabelMap::filled(g.clone(), 1);
    let mut centre = LabelMap::filled(g, 0);
    centre.data_mut()[4] = 1;
    let v = score_class(&full, &centre, 1, &[SegMetric::Hausdorff, SegMetric::Assd]).unwrap();
    assert!((v[0] - 2f64.sqrt()).abs() < 1e-15);
    // A -> B: 4 edge px at 1, 4 corners at sqrt 2 (the centre is not in A's
    // surface); B -> A: the centre is 1 from the ring. Pooled mean of 9.
    let want = (4.0 + 4.0 * 2f64.sqrt() + 1.0) / 9.0;
    assert!((v[1] - want).abs() < 1e-15);
    let s = surface(&[true; 9], [1, 3, 3], false);
    assert_eq!(s.iter().filter(|&&b| b).count(), 8);
    let s3 = surface(&[true; 9], [1, 3, 3], true);
    assert!(s3.iter().all(|&b| b));
}

#[test]
fn percentile_matches_numpy_linear() {
    // numpy.percentile([1, 2, 3, 4, 10], 95) = 8.8
    assert!((percentile_sorted(&[1.0, 2.0, 3.0, 4.0, 10.0], 95.0) - 8.8).abs() < 1e-12);
    assert_eq!(percentile_sorted(&[3.0], 95.0), 3.0);
    assert!(percentile_sorted(&[], 95.0).is_nan());
}
