//! Opening the datasets of a plan.

use sensibench_core::Sample;
use sensibench_data::{
    CardiacPhantom, Dataset, DicomFolderDataset, ImageFolderDataset, NiftiSliceDataset,
};
use sensibench_suite::plan::{DatasetPlan, DatasetSource, SliceAxis};

use crate::{Result, RunError};

/// Opens the dataset of `plan` and loads its samples (at most `limit`).
pub fn load_samples(plan: &DatasetPlan, seed: u64) -> Result<Vec<Sample>> {
    let err = |source| RunError::Dataset {
        dataset: plan.name.clone(),
        source,
    };
    let ds: Box<dyn Dataset> = match &plan.source {
        DatasetSource::PhantomCardiac {
            subjects,
            slices_per_subject,
            size,
        } => {
            Box::new(CardiacPhantom::new(seed, *subjects, *slices_per_subject, *size).map_err(err)?)
        }
        DatasetSource::ImageFolder {
            images,
            masks,
            spacing,
        } => Box::new(ImageFolderDataset::open(images, masks.as_deref(), *spacing).map_err(err)?),
        DatasetSource::NiftiSlices {
            images,
            masks,
            axis,
            slices,
        } => {
            let axis = match axis {
                SliceAxis::Axial => sensibench_data::SliceAxis::Axial,
                SliceAxis::Coronal => sensibench_data::SliceAxis::Coronal,
                SliceAxis::Sagittal => sensibench_data::SliceAxis::Sagittal,
            };
            Box::new(
                NiftiSliceDataset::open(images.clone(), masks.clone(), axis, slices.clone())
                    .map_err(err)?,
            )
        }
        DatasetSource::DicomFolder { path } => {
            Box::new(DicomFolderDataset::open(path).map_err(err)?)
        }
    };
    let n = plan.limit.map_or(ds.len(), |l| l.min(ds.len()));
    (0..n).map(|i| ds.get(i).map_err(err)).collect()
}
