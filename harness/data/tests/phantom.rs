//! Tests of the cardiac phantom and the .npy writer.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use sensibench_data::npy::encode_npy;
use sensibench_data::{CardiacPhantom, Dataset};

#[test]
fn ids_len_and_positions() {
    let p = CardiacPhantom::new(1, 4, 3, 64).unwrap();
    assert_eq!(p.len(), 12);
    assert!(!p.is_empty());
    assert!(p.has_masks());
    assert_eq!(p.sample_id(0), "phantom-s00-z00");
    assert_eq!(p.sample_id(11), "phantom-s03-z02");
    assert_eq!(p.sample_id(5), "phantom-s01-z02");
    assert_eq!(p.slice_position(3), 0.0);
    assert_eq!(p.slice_position(4), 0.5);
    assert_eq!(p.slice_position(5), 1.0);
    assert_eq!(
        CardiacPhantom::new(1, 2, 1, 64).unwrap().slice_position(1),
        0.5
    );
    assert!((p.spacing() - 3.0).abs() < 1e-12);
    let s = p.get(4).unwrap();
    assert_eq!(s.id, "phantom-s01-z01");
    assert_eq!(s.image.grid().dims(), [1, 64, 64]);
    assert_eq!(s.image.grid().ndim(), 2);
    assert_eq!(s.image.grid().spacing()[1], 3.0);
}

#[test]
fn bad_parameters_and_indices_are_errors() {
    assert!(CardiacPhantom::new(1, 0, 3, 64).is_err());
    assert!(CardiacPhantom::new(1, 1, 0, 64).is_err());
    let e = CardiacPhantom::new(1, 1, 1, 4).unwrap_err().to_string();
    assert!(e.contains("size"), "{e}");
    let p = CardiacPhantom::new(1, 2, 2, 32).unwrap();
    let e = p.get(4).unwrap_err().to_string();
    assert!(e.contains("sample index") && e.contains("< 4"), "{e}");
    // Fields are public: an invalid phantom built by hand errors instead of panicking.
    let bad = CardiacPhantom {
        seed: 0,
        subjects: 1,
        slices_per_subject: 1,
        size: 0,
    };
    assert!(bad.get(0).is_err());
}

#[test]
fn deterministic_and_identity_seeded() {
    let a = CardiacPhantom::new(7, 2, 4, 48).unwrap();
    let b = CardiacPhantom::new(7, 5, 4, 48).unwrap();
    // Subject 1 is the same whatever the number of subjects.
    assert_eq!(a.get(5).unwrap(), b.get(5).unwrap());
    assert_eq!(a.get(5).unwrap(), a.get(5).unwrap());
    let c = CardiacPhantom::new(8, 2, 4, 48).unwrap();
    assert_ne!(a.get(5).unwrap().image, c.get(5).unwrap().image);
    // Subjects differ from each other.
    assert_ne!(a.get(0).unwrap().mask, a.get(4).unwrap().mask);
}

#[test]
fn anatomy_base_to_apex() {
    let n = 6;
    for seed in [1u64, 2, 3] {
        let p = CardiacPhantom::new(seed, 2, n, 128).unwrap();
        for subj in 0..2 {
            let masks: Vec<_> = (0..n)
                .map(|z| p.get(subj * n + z).unwrap().mask.unwrap())
                .collect();
            let base = &masks[0];
            let apex = &masks[n - 1];
            // Every class present at the base, labels only 0..=3.
            assert_eq!(base.max_label(), 3);
            for l in 1..=3 {
                assert!(base.count(l) > 50, "seed {seed} subj {subj} label {l}");
            }
            // LV cavity shrinks from base to apex; the RV vanishes at the apex.
            assert!(apex.count(1) < base.count(1) / 2);
            assert_eq!(apex.count(3), 0, "RV present at the apex");
            assert!(apex.count(1) > 10 && apex.count(2) > 10);
            let lv: Vec<usize> = masks.iter().map(|m| m.count(1)).collect();
            assert!(lv.windows(2).all(|w| w[1] <= w[0] + 5), "{lv:?}");
            // Heart size plausible: LV cavity area at the base 10..30 cm² at 1.5 mm.
            let area_cm2 = base.count(1) as f64 * 1.5 * 1.5 / 100.0;
            assert!((10.0..30.0).contains(&area_cm2), "{area_cm2}");
        }
    }
}

#[test]
fn intensities_are_mr_like_and_antialiased() {
    let p = CardiacPhantom::new(3, 1, 3, 128).unwrap();
    let s = p.get(0).unwrap();
    let (lo, hi) = s.image.min_max();
    assert!(lo >= 0.0 && hi < 2000.0 && hi > 300.0, "{lo} {hi}");
    let m = s.mask.unwrap();
    let mean = |l: u8| {
        let (mut sum, mut k) = (0.0f64, 0usize);
        for (v, &lab) in s.image.data().iter().zip(m.data()) {
            if lab == l {
                sum += f64::from(*v);
                k += 1;
            }
        }
        sum / k as f64
    };
    // Bright blood, dark myocardium.
    assert!(mean(1) > 2.0 * mean(2), "LV {} myo {}", mean(1), mean(2));
    assert!(mean(3) > 2.0 * mean(2));
    // Not thresholdable: no single threshold separates LV blood from myocardium
    // (noise, texture, partial volume).
    let lv: Vec<f32> = (0..m.data().len())
        .filter(|&i| m.data()[i] == 1)
        .map(|i| s.image.data()[i])
        .collect();
    let myo: Vec<f32> = (0..m.data().len())
        .filter(|&i| m.data()[i] == 2)
        .map(|i| s.image.data()[i])
        .collect();
    let min_lv = lv.iter().cloned().fold(f32::INFINITY, f32::min);
    let max_myo = myo.iter().cloned().fold(0.0f32, f32::max);
    assert!(
        min_lv < max_myo,
        "classes perfectly separable: {min_lv} > {max_myo}"
    );
}

#[test]
fn generation_is_fast() {
    let p = CardiacPhantom::new(1, 1, 1, 128).unwrap();
    let t = std::time::Instant::now();
    let s = p.get(0).unwrap();
    let dt = t.elapsed();
    assert_eq!(s.image.grid().dims(), [1, 128, 128]);
    // ~1-2 ms optimised; debug builds are much slower, so the bound is loose.
    assert!(dt.as_millis() < 500, "{dt:?}");
}

#[test]
fn npy_header_is_exact() {
    let b = encode_npy(&[2], &[7u8, 9]).unwrap();
    assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
    let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
    assert_eq!((10 + hlen) % 64, 0);
    let header = std::str::from_utf8(&b[10..10 + hlen]).unwrap();
    assert!(header.starts_with("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }"));
    assert!(header.ends_with('\n'));
    assert_eq!(&b[10 + hlen..], &[7, 9]);
    let f = encode_npy(&[1, 2, 1], &[1.0f32, -2.0]).unwrap();
    let hlen = u16::from_le_bytes([f[8], f[9]]) as usize;
    let header = std::str::from_utf8(&f[10..10 + hlen]).unwrap();
    assert!(header.contains("'descr': '<f4'") && header.contains("'shape': (1, 2, 1)"));
    assert_eq!(&f[10 + hlen..], &[0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
    assert!(encode_npy(&[3], &[1u8]).is_err());
}

#[test]
fn above_the_base_and_beyond_the_apex() {
    let p = CardiacPhantom::new(4, 2, 5, 128).unwrap();
    for subj in 0..2 {
        let i = subj * 5;
        // render is render_at the slice's own position
        assert_eq!(
            p.render(i + 2).unwrap(),
            p.render_at(i + 2, p.slice_position(i + 2)).unwrap()
        );
        let at = |t: f64| p.render_at(i, t).unwrap().1;
        let (above, base, cap, gone) = (at(-0.25), at(0.0), at(1.2), at(1.35));
        // above the base the ring opens: less myocardium, a wider cavity
        assert!(above.count(2) < base.count(2) * 9 / 10, "subj {subj}");
        assert!(above.count(1) > base.count(1), "subj {subj}");
        // beyond the apex the cavity has closed, the cap is small, then gone
        assert_eq!(cap.count(1), 0, "cavity at 1.2");
        assert!(cap.count(2) > 0 && cap.count(2) < base.count(2) / 2);
        assert_eq!(gone.count(1) + gone.count(2), 0, "heart at 1.35");
    }
    assert!(p.render_at(0, f64::NAN).is_err());
}

#[test]
fn slice_stacks_label_by_position_and_split_by_subject() {
    use sensibench_data::{HashSplit, SliceStacks};
    let all = SliceStacks::new(2, 10, 12, 32, [-0.25, 1.25], &[0.0, 1.0], HashSplit::All).unwrap();
    assert_eq!(all.len(), 120);
    // slice z of 12 at -0.25 + 1.5 z / 11: 2 too basal, 8 LV, 2 too apical
    let classes: Vec<u32> = (0..12).map(|i| all.class(i)).collect();
    assert_eq!(classes, [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]);
    assert_eq!(all.position(0), -0.25);
    assert!((all.position(11) - 1.25).abs() < 1e-12);
    assert_eq!(all.get(3).unwrap().label, Some(1));
    let train =
        SliceStacks::new(2, 10, 12, 32, [-0.25, 1.25], &[0.0, 1.0], HashSplit::Train).unwrap();
    let test =
        SliceStacks::new(2, 10, 12, 32, [-0.25, 1.25], &[0.0, 1.0], HashSplit::Test).unwrap();
    assert_eq!(train.len() + test.len(), 120);
    let subjects = |s: &SliceStacks| -> std::collections::BTreeSet<usize> {
        (0..s.len()).map(|i| s.subject(i)).collect()
    };
    assert!(subjects(&train).is_disjoint(&subjects(&test)));
    // bad ranges and cut points are errors
    assert!(SliceStacks::new(2, 10, 12, 32, [-0.5, 1.0], &[0.5], HashSplit::All).is_err());
    assert!(SliceStacks::new(2, 10, 12, 32, [0.0, 1.0], &[1.0], HashSplit::All).is_err());
    assert!(SliceStacks::new(2, 10, 12, 32, [0.0, 1.0], &[0.6, 0.4], HashSplit::All).is_err());
}
