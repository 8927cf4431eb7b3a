//! Multiple-image ranking labels (method 3 of the project's `docs/methods.md`: "Multiple-image
//! ranking labels", J Med Artif Intell 2023).
//!
//! Experts order batches of images (e.g. 8 cardiac MR short-axis slices)
//! from most basal to most apical; the rankings are aggregated into one
//! ordinal score per image and the score axis is cut into ordered classes
//! ('too basal', 'LV', 'too apical'). This crate holds every step, and the
//! one-image-at-a-time labelling it is compared with:
//!
//! - [`ranking`]: [`RankingSession`] and its CSV format
//!   (`annotator,batch,order`, [`read_rankings`], [`write_rankings`]).
//! - [`bt`]: Bradley–Terry aggregation with the L2-penalised maximum
//!   likelihood of `choix.opt_pairwise` ([`bradley_terry`],
//!   [`bradley_terry_ids`], [`bt_pairwise`]).
//! - [`cut`](mod@cut): cutting the score axis into ordered classes ([`Cut`], [`cut()`]).
//! - [`single`]: one-image-at-a-time labels ([`SingleLabel`], CSV
//!   `annotator,image,label`, [`consensus`]).
//! - [`simulate`]: seeded simulated annotators for both protocols and the
//!   equal-effort rule ([`simulate_rankings`], [`simulate_single`],
//!   [`Effort`]).
//! - [`agreement`]: Cohen's kappa with a percentile-bootstrap interval
//!   ([`kappa_with_ci`]), intra-/inter-observer tables
//!   ([`agreement_table`]) and Spearman's rank correlation ([`spearman`]).
//!
//! **Conventions.** Positions and scores grow from basal to apical: in a
//! ranked batch the first item is the most basal; a Bradley–Terry score is
//! larger for a more apical image; class 0 is the most basal class. Class
//! labels are `u32` indices `0..k`. Errors are [`sensibench_core::Error`]s:
//! file problems are [`Error::Decode`](sensibench_core::Error::Decode)
//! naming the file and the line (`path: line 7: …`), bad arguments are
//! [`Error::InvalidParameter`](sensibench_core::Error::InvalidParameter).
//! Nothing here panics on user input.

// Tests may unwrap: a panic there is a test failure with a backtrace.
#![cfg_attr(test, allow(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod agreement;
pub mod bt;
mod csvio;
pub mod cut;
pub mod ranking;
pub mod simulate;
pub mod single;

pub use agreement::{
    AgreementKind, AgreementRow, KappaCi, LabelSet, agreement_table, kappa_with_ci, spearman,
};
pub use bt::{BtFit, BtSolve, DEFAULT_ALPHA, bradley_terry, bradley_terry_ids, bt_pairwise};
pub use cut::{Cut, cut};
pub use ranking::{
    RANKINGS_HEADER, RankingSession, pairwise, parse_rankings, rankings_to_csv, read_rankings,
    write_rankings,
};
pub use simulate::{
    Effort, RankingAnnotatorModel, SingleAnnotatorModel, simulate_rankings, simulate_single,
};
pub use single::{
    SINGLE_HEADER, SingleLabel, consensus, parse_single_labels, read_single_labels,
    single_labels_to_csv, write_single_labels,
};
