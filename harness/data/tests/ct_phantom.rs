//! Tests of the synthetic abdominal CT phantom at L3 and its simulated observers.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use sensibench_core::LabelMap;
use sensibench_data::{CtPhantom, Dataset};

fn dice(a: &LabelMap, b: &LabelMap) -> f64 {
    let (mut inter, mut sum) = (0usize, 0usize);
    for (&x, &y) in a.data().iter().zip(b.data()) {
        inter += usize::from(x == 1 && y == 1);
        sum += usize::from(x == 1) + usize::from(y == 1);
    }
    2.0 * inter as f64 / sum as f64
}

/// FNV-1a 64 over the image's f32 little-endian bytes, then the label bytes.
fn fnv(image: &[f32], labels: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = image
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .chain(labels.iter().copied());
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[test]
fn ids_len_spacing_and_positions() {
    let p = CtPhantom::new(1, 4, 3, 128).unwrap();
    assert_eq!(p.len(), 12);
    assert!(!p.is_empty());
    assert!(Dataset::has_masks(&p));
    assert_eq!(p.sample_id(0), "ct-s00-z00");
    assert_eq!(p.sample_id(11), "ct-s03-z02");
    assert_eq!(p.slice_z_mm(3), 15.0);
    assert_eq!(p.slice_z_mm(4), 0.0);
    assert_eq!(p.slice_z_mm(5), -15.0);
    assert_eq!(CtPhantom::new(1, 2, 1, 64).unwrap().slice_z_mm(1), 0.0);
    assert_eq!(p.spacing(), 400.0 / 128.0);
    let s = p.get(4).unwrap();
    assert_eq!(s.id, "ct-s01-z01");
    assert_eq!(s.image.grid().dims(), [1, 128, 128]);
    assert_eq!(s.image.grid().ndim(), 2);
    assert_eq!(s.image.grid().spacing()[1..], [3.125, 3.125]);
    assert_eq!(s.mask.unwrap().grid(), s.image.grid());
}

#[test]
fn bad_parameters_and_indices_are_errors() {
    assert!(CtPhantom::new(1, 0, 3, 64).is_err());
    assert!(CtPhantom::new(1, 1, 0, 64).is_err());
    let e = CtPhantom::new(1, 1, 1, 4).unwrap_err().to_string();
    assert!(e.contains("size"), "{e}");
    let p = CtPhantom::new(1, 2, 2, 32).unwrap();
    let e = p.render(4).unwrap_err().to_string();
    assert!(e.contains("sample index") && e.contains("< 4"), "{e}");
    assert!(p.render_observers(4, 2).is_err());
    assert!(p.render_observers(0, 0).unwrap().is_empty());
    let bad = CtPhantom {
        seed: 0,
        subjects: 1,
        slices_per_subject: 1,
        size: 0,
    };
    assert!(bad.render(0).is_err());
}

#[test]
fn deterministic_and_identity_seeded() {
    let a = CtPhantom::new(7, 2, 3, 64).unwrap();
    let b = CtPhantom::new(7, 5, 3, 64).unwrap();
    // Same seed, same bytes; subject 1 is the same whatever the number of subjects.
    assert_eq!(a.render(4).unwrap(), a.render(4).unwrap());
    assert_eq!(a.render(4).unwrap(), b.render(4).unwrap());
    assert_eq!(
        a.render_observers(4, 3).unwrap(),
        b.render_observers(4, 3).unwrap()
    );
    let c = CtPhantom::new(8, 2, 3, 64).unwrap();
    assert_ne!(a.render(4).unwrap().0, c.render(4).unwrap().0);
    assert_ne!(a.render(4).unwrap().1, c.render(4).unwrap().1);
    // Subjects differ from each other.
    assert_ne!(a.render(0).unwrap().1, a.render(3).unwrap().1);
    // Observer o does not depend on how many observers are asked for.
    let three = a.render_observers(2, 3).unwrap();
    let five = a.render_observers(2, 5).unwrap();
    assert_eq!(three[..], five[..3]);
}

#[test]
fn golden_hashes() {
    // Bit-for-bit regression guard: recompute and update only on a deliberate
    // change of the phantom (and say so in the change log).
    let p = CtPhantom::new(2024, 3, 3, 64).unwrap();
    let got: Vec<u64> = [0usize, 4, 8]
        .iter()
        .map(|&i| {
            let (img, lab) = p.render(i).unwrap();
            fnv(img.data(), lab.data())
        })
        .collect();
    let obs = p.render_observers(4, 2).unwrap();
    let got_obs = fnv(&[], &[obs[0].data(), obs[1].data()].concat());
    println!("{got:#018x?} {got_obs:#018x}"); // the values to paste on a deliberate change
    assert_eq!(got, GOLDEN);
    assert_eq!(got_obs, GOLDEN_OBS);
}
const GOLDEN: [u64; 3] = [0xe1a35f5d3f2146e8, 0xaa31adebcf325184, 0xa26ea0e3c8b47afa];
const GOLDEN_OBS: u64 = 0xa2ad021bd66fe3fe;

/// Per-slice statistics of the rendered HU values.
struct Stats {
    air_mean: f64,
    muscle_core_mean: f64,
    max: f32,
    fat_fraction: f64,
    threshold_dice: f64,
}

fn stats(p: &CtPhantom, i: usize) -> Stats {
    let (img, lab) = p.render(i).unwrap();
    let n = p.size;
    let v = img.data();
    let m = lab.data();
    // Air: the 6x6 corners.
    let mut air = Vec::new();
    for y in 0..6 {
        for x in 0..6 {
            air.push(f64::from(v[y * n + x]));
            air.push(f64::from(v[(n - 1 - y) * n + (n - 1 - x)]));
        }
    }
    // Muscle core: muscle pixels whose 8 neighbours are muscle (no partial volume).
    let mut core = Vec::new();
    for y in 1..n - 1 {
        for x in 1..n - 1 {
            let all = (0..3).all(|dy| (0..3).all(|dx| m[(y + dy - 1) * n + x + dx - 1] == 1));
            if all {
                core.push(f64::from(v[y * n + x]));
            }
        }
    }
    let body = v.iter().filter(|&&h| h > -500.0).count();
    let fat = v.iter().filter(|&&h| (-140.0..-60.0).contains(&h)).count();
    // The classic -29..150 HU muscle threshold inside the body, against the truth.
    let thr = LabelMap::new(
        lab.grid().clone(),
        v.iter()
            .map(|&h| u8::from((-29.0..=150.0).contains(&h)))
            .collect(),
    )
    .unwrap();
    Stats {
        air_mean: air.iter().sum::<f64>() / air.len() as f64,
        muscle_core_mean: core.iter().sum::<f64>() / core.len() as f64,
        max: img.min_max().1,
        fat_fraction: fat as f64 / body as f64,
        threshold_dice: dice(&thr, &lab),
    }
}

#[test]
fn hounsfield_ranges_per_tissue() {
    let p = CtPhantom::new(3, 8, 1, 128).unwrap();
    let mut cores = Vec::new();
    let mut thr = Vec::new();
    for i in 0..p.len() {
        let s = stats(&p, i);
        assert!(
            (-1015.0..-985.0).contains(&s.air_mean),
            "air {}",
            s.air_mean
        );
        // Muscle core: subject mean 10-50 HU plus group offsets and texture.
        assert!(
            (0.0..62.0).contains(&s.muscle_core_mean),
            "muscle {}",
            s.muscle_core_mean
        );
        cores.push(s.muscle_core_mean);
        // Cortical bone present but partial-volumed; no metal.
        assert!(s.max > 450.0 && s.max < 1100.0, "max {}", s.max);
        // Plenty of fat inside the body.
        assert!(s.fat_fraction > 0.2, "fat {}", s.fat_fraction);
        // Organs, skin, vessels and bowel share the muscle range: a threshold
        // alone does not give the reference.
        assert!(
            s.threshold_dice < 0.9,
            "threshold dice {}",
            s.threshold_dice
        );
        thr.push(s.threshold_dice);
    }
    let thr_mean = thr.iter().sum::<f64>() / thr.len() as f64;
    assert!(thr_mean < 0.85, "{thr:?}");
    // Normal and low-attenuation subjects both occur.
    let lo = cores.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = cores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    assert!(hi - lo > 10.0, "{cores:?}");
}

#[test]
fn muscle_area_is_adult_like_and_smooth_along_z() {
    for seed in [1u64, 2, 3] {
        let p = CtPhantom::new(seed, 6, 3, 128).unwrap();
        let px_cm2 = p.spacing() * p.spacing() / 100.0;
        for subj in 0..6 {
            let masks: Vec<LabelMap> = (0..3).map(|z| p.render(subj * 3 + z).unwrap().1).collect();
            let area = masks[1].count(1) as f64 * px_cm2;
            assert!(
                (90.0..260.0).contains(&area),
                "seed {seed} subj {subj}: {area} cm²"
            );
            assert_eq!(masks[1].max_label(), 1);
            // Neighbouring slices (15 mm apart) are similar but not identical.
            for w in masks.windows(2) {
                let d = dice(&w[0], &w[1]);
                assert!(d > 0.8 && d < 1.0, "seed {seed} subj {subj}: {d}");
            }
        }
    }
}

#[test]
fn observers_agree_like_humans() {
    let p = CtPhantom::new(11, 6, 2, 128).unwrap();
    let mut pairs = Vec::new();
    for i in 0..p.len() {
        let truth = p.render(i).unwrap().1;
        let obs = p.render_observers(i, 4).unwrap();
        assert_eq!(obs.len(), 4);
        for (a, o) in obs.iter().enumerate() {
            assert_eq!(o.grid(), truth.grid());
            assert!(o.max_label() <= 1);
            let d = dice(o, &truth);
            assert!(d > 0.85 && d < 1.0, "observer {a} vs truth {d}");
            for b in obs.iter().skip(a + 1) {
                pairs.push(dice(o, b));
            }
        }
    }
    let mean = pairs.iter().sum::<f64>() / pairs.len() as f64;
    assert!((0.90..=0.96).contains(&mean), "mean pairwise Dice {mean}");
    let min = pairs.iter().cloned().fold(1.0, f64::min);
    let max = pairs.iter().cloned().fold(0.0, f64::max);
    assert!(min > 0.8 && max < 1.0, "{min} {max}");
}

#[test]
fn generation_is_fast() {
    let p = CtPhantom::new(1, 1, 1, 128).unwrap();
    let t = std::time::Instant::now();
    let (img, _) = p.render(0).unwrap();
    let dt = t.elapsed();
    assert_eq!(img.grid().dims(), [1, 128, 128]);
    // ~3 ms in a debug build, well under 1 ms optimised; the bound is loose.
    assert!(dt.as_millis() < 500, "{dt:?}");
}
