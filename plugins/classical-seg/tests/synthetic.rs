//! The segmenter on a synthetic short-axis slice with known ground truth: a
//! bright disk (LV cavity) in a dark ring (myocardium), a bright crescent (RV)
//! across the septum, a bright non-round blob far from the heart, and noise.

use sensibench_classical_seg::{BACKGROUND, ClassicalSeg, LV, MYO, RV, segment_slice};
use sensibench_plugin_sdk::{NativeModel, TensorRef};

const H: usize = 128;
const W: usize = 128;

/// Deterministic standard normal noise (64-bit LCG + Box-Muller).
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Returns (raw image, ground-truth labels).
fn phantom(seed: u64, noise_sigma: f64) -> (Vec<f32>, Vec<u8>) {
    let (lv_y, lv_x) = (66.0, 62.0);
    let (rv_y, rv_x) = (66.0, 38.0);
    let mut noise = Noise(seed);
    let mut image = vec![0.0f32; H * W];
    let mut truth = vec![BACKGROUND; H * W];
    for y in 0..H {
        for x in 0..W {
            let (fy, fx) = (y as f64, x as f64);
            let d_lv = ((fy - lv_y).powi(2) + (fx - lv_x).powi(2)).sqrt();
            let d_rv = ((fy - rv_y).powi(2) + (fx - rv_x).powi(2)).sqrt();
            let (value, label) = if d_lv <= 14.0 {
                (1.0, LV)
            } else if d_lv <= 21.0 {
                (0.35, MYO)
            } else if d_rv <= 26.0 && d_lv > 24.0 {
                (0.9, RV)
            } else if (fy - 20.0).abs() < 4.0 && (fx - 100.0).abs() < 15.0 {
                (0.95, BACKGROUND) // a bright elongated structure far from the heart
            } else {
                (0.25, BACKGROUND)
            };
            let v = value + noise_sigma * noise.normal();
            // Raw scanner-like range: offset and gain.
            image[y * W + x] = (200.0 + 1000.0 * v) as f32;
            truth[y * W + x] = label;
        }
    }
    (image, truth)
}

fn dice(pred: &[u8], truth: &[u8], label: u8) -> f64 {
    let (mut inter, mut p, mut t) = (0usize, 0usize, 0usize);
    for (&a, &b) in pred.iter().zip(truth) {
        p += usize::from(a == label);
        t += usize::from(b == label);
        inter += usize::from(a == label && b == label);
    }
    2.0 * inter as f64 / (p + t) as f64
}

#[test]
fn segments_disk_ring_crescent() {
    for seed in [1u64, 2, 3] {
        let (image, truth) = phantom(seed, 0.05);
        let pred = segment_slice(&image, H, W);
        let (d_lv, d_myo, d_rv) = (
            dice(&pred, &truth, LV),
            dice(&pred, &truth, MYO),
            dice(&pred, &truth, RV),
        );
        eprintln!("seed {seed}: Dice LV {d_lv:.3} myo {d_myo:.3} RV {d_rv:.3}");
        assert!(d_lv > 0.9, "seed {seed}: LV Dice {d_lv}");
        assert!(d_myo > 0.6, "seed {seed}: myocardium Dice {d_myo}");
        assert!(d_rv > 0.7, "seed {seed}: RV Dice {d_rv}");
        // The bright blob far from the heart is not labelled.
        assert!(pred[20 * W + 100] == BACKGROUND);
    }
}

#[test]
fn batch_through_the_trait() {
    let (a, truth) = phantom(7, 0.05);
    let (b, _) = phantom(8, 0.05);
    let mut data = a.clone();
    data.extend(&b);
    let mut model = ClassicalSeg::create("{ }").expect("empty config");
    let input = TensorRef::new(&[2, 1, H, W], &data).expect("tensor");
    let out = model.predict(input).expect("predict");
    assert_eq!(out.shape(), &[2, 1, H, W]);
    let first: Vec<u8> = out.data()[..H * W].iter().map(|&v| v as u8).collect();
    assert_eq!(first, segment_slice(&a, H, W));
    assert!(dice(&first, &truth, LV) > 0.9);
    assert!(
        out.data()
            .iter()
            .all(|&v| v == 0.0 || v == 1.0 || v == 2.0 || v == 3.0)
    );
}

#[test]
fn bad_inputs_are_errors() {
    assert!(ClassicalSeg::create("").is_ok());
    let err = ClassicalSeg::create(r#"{"k": 1}"#).expect_err("options refused");
    assert!(err.contains("takes no options"), "{err}");
    let mut model = ClassicalSeg;
    let data = vec![0.0; 2 * 16 * 16];
    let err = model
        .predict(TensorRef::new(&[1, 2, 16, 16], &data).expect("tensor"))
        .expect_err("two channels");
    assert!(err.contains("N x 1 x H x W"), "{err}");
}

#[test]
fn empty_slice_without_blood_pool_is_background() {
    let mut noise = Noise(5);
    let image: Vec<f32> = (0..H * W).map(|_| noise.normal() as f32).collect();
    let pred = segment_slice(&image, H, W);
    // Pure noise has no round sizeable bright component near the centre.
    let labelled = pred.iter().filter(|&&l| l != BACKGROUND).count();
    assert!(
        labelled < H * W / 50,
        "{labelled} pixels labelled in pure noise"
    );
}
