//! A deterministic synthetic axial abdominal CT phantom at the L3 level, in
//! Hounsfield units, with a skeletal-muscle reference mask and simulated
//! human observers.
//!
//! [`CtPhantom`] renders 2D axial slices of synthetic subjects around the
//! middle of the third lumbar vertebra, the level used for body-composition
//! (sarcopenia) studies. The label map has **0 background, 1 skeletal
//! muscle** (all muscle groups together).
//!
//! # Geometry and display convention
//! Coordinates are millimetres in image space: `x` to the right, `y` down.
//! The slice is shown in the radiological convention: anterior at the top,
//! the patient's right on the image's left (so the aorta lies right of the
//! midline in the image and the liver on the left). The field of view is
//! [`CT_FOV_MM`] = 400 mm square, so the pixel spacing is `400 / size` mm in
//! both directions (3.125 mm at `size` 128), stored in the returned grids.
//!
//! # Anatomy (outside in)
//! Everything is built around a **cavity** shape: an ellipse centred on the
//! midline with lateral semi-axis `a` (100–128 mm), anterior semi-axis
//! `b_ant` (62–92 mm) and posterior semi-axis `b_post` (reaching just behind
//! the paraspinal muscles), whose radius is modulated by
//! `1 + Σ_{k=2..4} A_k cos(kθ + φ_k)` (`A_k <= 0.03`). Outside it, along the
//! ray from its centre, lie (depths in mm):
//! * the **abdominal wall muscle ring** (label 1) of thickness `t(θ)`:
//!   the two **recti** either side of a 4–10 mm linea alba (lens-shaped,
//!   9–15 mm × `m` thick), a fatty linea semilunaris, then laterally the
//!   **obliques** (15–24 mm × `m`, tapering posteriorly) whose innermost 3–5 mm is
//!   the **transversus** separated from them by a 2–3 mm fat plane (label 0);
//!   no ring behind the posterior-lateral flanks;
//! * **subcutaneous fat** (−115 to −92 HU) of thickness `f(θ)` (base 6–35
//!   mm, thicker anteriorly and on the flanks, thinner at the back), measured
//!   from a smooth envelope of the ring so that the outline stays smooth;
//! * **skin** (1.5–2.5 mm, 20–50 HU); **air** (−1000 HU) outside.
//!
//! Inside the body, drawn first: the **L3 vertebra** (body: cortical shell
//! 550–850 HU over cancellous bone 120–260 HU, slightly waisted at mid-height;
//! spinal canal 5–25 HU; neural arch, spinous process and, within 5–9 mm of
//! the mid-level only, the transverse processes, all cortical), the two
//! **psoas** muscles beside the vertebral body (growing caudally by 1.2 %/mm),
//! the two **quadratus lumborum** muscles lateral to them and the two
//! **erector spinae** (paraspinal) muscles behind the transverse processes,
//! either side of a 1.5 mm midline septum (all label 1). Inside the cavity:
//! the **aorta** (35–50 HU) left-anterior of the vertebra, the **IVC**
//! (30–45 HU), the lower poles of the **kidneys** (28–40 HU, shrinking to
//! nothing below a per-subject level), in 60 % of subjects the **liver tip**
//! (48–62 HU, appearing above a per-subject level), up to 14–23 **bowel loops** and
//! the ascending / descending **colon** (wall 30–45 HU; content fluid 5–30
//! HU, gas ≈ −1000 HU, or mottled stool with gas pockets), small mesenteric
//! **vessels**, and **visceral fat** (−108 to −85 HU) everywhere else.
//! Skin, kidneys, liver, aorta, IVC, bowel wall and canal overlap the muscle
//! attenuation, so a threshold alone does not give the mask.
//!
//! Muscle attenuation: per subject a mean `μ` of 32–50 HU, or 10–25 HU for
//! the 25 % of subjects with **myosteatosis**; per group offsets (psoas
//! +2..+8, erector −8..0 or −12..−4 with myosteatosis, others ±4) and a
//! smooth texture. The muscle factor `m` (1.0–1.35) scales the size of every
//! muscle, giving cross-sectional areas of roughly 95–220 cm².
//!
//! # Along the body axis
//! Slice `z` of `slices_per_subject` lies at `z_mm = 15 - 30 z / (m - 1)` mm
//! from mid-L3 (positive = cranial; 0 for a single slice). With `z_mm` the
//! psoas scale by `1 - 0.012 z_mm`, the vertebral body widens away from its
//! waist, the transverse processes vanish beyond `|z_mm| > h` (`h` 5–9 mm),
//! the kidneys shrink as `sqrt(clamp((z_mm - z_k) / 20, 0, 1))`, the liver tip
//! likewise above its own level, the cavity widens by 0.2 %/mm and bowel
//! loops drift (up to 0.8 mm per mm): anatomy varies smoothly along `z`.
//!
//! # Image formation
//! The tissue at each pixel centre gives the label (exact, not
//! anti-aliased). Pixels whose four neighbours share their tissue take its
//! value; the others are the mean of 3x3 sub-samples (partial volume). Each
//! sample's value is `HU_tissue + c_t T_c + f_t T_f` with smooth random
//! fields `T_c` (8 cells) and `T_f` (48 cells) and per-tissue amplitudes
//! (stool content: `-150 + 120 T_f`, gas where `T_f > 1`). The clean image is
//! smoothed by the separable kernel `[0.15, 0.7, 0.15]` (edge replicated),
//! then white Gaussian noise of standard deviation `σ` (15–25 HU per subject)
//! is added and the result clamped to `[-1024, 3071]` HU.
//!
//! # Simulated observers
//! [`CtPhantom::render_observers`] gives `k` human-like muscle masks of a
//! slice. Observer `o` of slice `(s, z)` draws, from
//! `derive_seed(seed, &["phantom-ct", "sSS", "zZZ", "observer", "oOO"])`, a
//! boundary displacement amplitude `A_o` (uniform in [`OBSERVER_AMP_MM`]), a
//! bias `b_o` (uniform in `±`[`OBSERVER_BIAS_MM`]) and a smooth unit-variance
//! random field `F_o` (12 cells over the field of view, i.e. a correlation
//! length of about 30 mm). With `d(p)` the signed distance of pixel `p` to
//! the reference muscle boundary (pixel centres, in pixels: `+-0.5` next to the
//! boundary, negative inside; exact Euclidean distance transform), the
//! observer's mask is `d(p) < (b_o + A_o F_o(p)) / spacing`, i.e. the
//! boundary is pushed out (or in) by a smooth displacement of a few mm.
//! Then with probability [`OBSERVER_OMIT_P`] the observer omits one thin
//! part: the quadratus lumborum or the transversus on the image's left or
//! right side (four parts, chosen uniformly) (no omission if the
//! chosen part is absent from the slice). At size 128 the pairwise Dice of
//! observers is about 0.90–0.96 (mean about 0.93; single pairs 0.83–0.99),
//! chosen as a plausible human inter-observer range at this coarse
//! resolution (3.1 mm pixels).
//!
//! # Determinism
//! Subject parameters come from `SeededRng::new(derive_seed(seed,
//! &["phantom-ct", "sSS"]))` and per-slice randomness (texture, noise) from
//! `derive_seed(seed, &["phantom-ct", "sSS", "zZZ"])`, so each slice is
//! reproducible alone and bit-for-bit on platforms with IEEE f64 `sqrt`,
//! `ln`, `sin`, `cos`.

mod distance;
mod geometry;
mod observers;
mod slices;
mod subject;
mod tissue;

pub use observers::{OBSERVER_AMP_MM, OBSERVER_BIAS_MM, OBSERVER_OMIT_P};
pub use slices::{CT_Z_HALF_MM, CtPhantom};
pub use subject::CT_FOV_MM;
