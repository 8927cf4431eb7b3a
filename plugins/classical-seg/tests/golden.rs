//! A golden test for refactoring the segmenter: 150 synthetic slices (a
//! bright disk with a dark ring and a bright crescent beside it, anywhere in
//! the frame, noise from mild to heavy, three heights and two widths) are
//! segmented and the labels hashed. The hash was recorded with the
//! full-image implementation (per-pixel 3x3 neighbourhoods, every candidate
//! processed on the whole slice); the separable morphology and the cropping
//! of candidates to their bounding box must give exactly the same labels.

use sensibench_classical_seg::segment_slice;

/// The hash of every label of the 150 slices, recorded before the speed-up.
const GOLDEN: u64 = 16_385_850_675_442_224_986;

#[test]
fn labels_unchanged_on_150_synthetic_slices() {
    let mut state = 12345u64;
    let mut rnd = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) as f32
    };
    let mut hash = 0u64;
    let mut non_background = 0usize;
    for case in 0..150 {
        let (h, w) = (128 + (case % 3) * 40, 128 + (case % 2) * 64);
        let (cy, cx, r) = (
            h as f32 * (0.05 + 0.9 * rnd()),
            w as f32 * (0.05 + 0.9 * rnd()),
            10.0 + 15.0 * rnd(),
        );
        let noise = 0.05 + 0.9 * rnd();
        let img: Vec<f32> = (0..h * w)
            .map(|i| {
                let (y, x) = ((i / w) as f32, (i % w) as f32);
                let d = ((y - cy).powi(2) + (x - cx).powi(2)).sqrt();
                let rv = ((y - cy).powi(2) + (x - cx - 1.6 * r).powi(2)).sqrt();
                let v = if d < r {
                    1.0
                } else if d < r * 1.4 {
                    0.3
                } else if rv < r * 0.9 {
                    0.9
                } else {
                    0.2
                };
                v + noise * (rnd() - 0.5) * 2.0
            })
            .collect();
        for l in segment_slice(&img, h, w) {
            hash = hash.wrapping_mul(31).wrapping_add(u64::from(l));
            non_background += usize::from(l != 0);
        }
    }
    // the slices are not trivially empty
    assert!(non_background > 50_000, "{non_background}");
    assert_eq!(hash, GOLDEN);
}
