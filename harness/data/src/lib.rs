//! Loaders (PNG/JPEG, NIfTI, DICOM) and deterministic synthetic phantoms.
//!
//! * [`phantom::CardiacPhantom`]: the deterministic synthetic cardiac
//!   short-axis MR phantom (the embedded default data).
//! * [`ct_phantom::CtPhantom`]: the deterministic synthetic abdominal CT
//!   phantom at L3 (Hounsfield units, skeletal-muscle mask, simulated observers).
//! * [`classes`]: classification datasets (class folders with a fixed hash
//!   split, image CSVs with labels and region boxes, a synthetic fallback).
//! * [`label_ops`]: slices containing a label, merging / renumbering label ids.
//! * [`raster`]: PNG/JPEG images, PNG label maps.
//! * [`nifti_io`]: NIfTI-1 volumes, saving, slicing along an axis.
//! * [`dicom_io`]: single-frame uncompressed DICOM.
//! * [`datasets`]: image folders, NIfTI slices, DICOM folders as [`Dataset`]s.
//! * [`npy`]: a small `.npy` writer (used by `examples/export_phantom.rs`).
//!
//! Every loader returns a [`sensibench_core::Error`] naming the file and what
//! was wrong with it; none panics on bad input.

#![warn(missing_docs)]

pub mod classes;
pub mod ct_phantom;
pub mod datasets;
pub mod dicom_io;
mod file_errors;
pub mod label_ops;
pub mod nifti_io;
pub mod npy;
pub mod phantom;
mod phantom_primitives;
pub mod raster;
pub mod stacks;

pub use classes::{ClassFolderDataset, ClassPhantom, HashSplit, ImageCsvDataset, in_test_split};
pub use ct_phantom::CtPhantom;
pub use datasets::{DicomFolderDataset, ImageFolderDataset, NiftiSliceDataset, file_stem};
pub use dicom_io::{dicom_slice_location, load_dicom};
pub use label_ops::{remap_labels, slices_containing_label};
pub use nifti_io::{
    SliceAxis, load_nifti_image, load_nifti_labels, save_nifti_image, save_nifti_labels,
    slice_image, slice_labels,
};
pub use phantom::CardiacPhantom;
pub use raster::{load_image, load_label_map, luma_bt601};
pub use stacks::{POSITIONS, SliceStacks, class_of};

use sensibench_core::{Result, Sample};

/// A finite, indexable collection of [`Sample`]s.
///
/// `get(i)` for `i >= len()` is an error, not a panic. Implementations are
/// cheap to share across threads; `get` may read files and is called
/// concurrently.
pub trait Dataset: Send + Sync {
    /// Number of samples.
    fn len(&self) -> usize;
    /// True when the dataset has no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The stable identifier of sample `i` (seeds perturbations); for `i >=
    /// len()` an identifier is still returned but names no sample.
    fn sample_id(&self, i: usize) -> String;
    /// Loads sample `i`.
    fn get(&self, i: usize) -> Result<Sample>;
    /// Whether the samples carry reference label maps.
    fn has_masks(&self) -> bool;
}
