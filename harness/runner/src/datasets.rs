//! Opening the datasets of a plan.

use std::path::PathBuf;

use rayon::prelude::*;
use sensibench_core::Sample;
use sensibench_data::{
    CardiacPhantom, ClassFolderDataset, ClassPhantom, CtPhantom, Dataset, DicomFolderDataset,
    HashSplit, ImageCsvDataset, ImageFolderDataset, NiftiSliceDataset, SliceStacks,
};
use sensibench_suite::plan::{
    DatasetPlan, DatasetSource, ReferenceMode, SliceAxis, SliceSelection, Split,
};

use crate::{Result, RunError};

/// Opens the dataset of `plan` and loads its samples (at most `limit`), in
/// parallel; `classes` are the suite's class names (an image CSV's labels
/// are looked up in them).
pub fn load_samples(plan: &DatasetPlan, seed: u64, classes: &[String]) -> Result<Vec<Sample>> {
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
        DatasetSource::PhantomCt {
            subjects,
            slices_per_subject,
            size,
            ..
        } => Box::new(CtPhantom::new(seed, *subjects, *slices_per_subject, *size).map_err(err)?),
        DatasetSource::ImageFolder {
            images,
            masks,
            spacing,
            ..
        } => Box::new(ImageFolderDataset::open(images, masks.as_deref(), *spacing).map_err(err)?),
        DatasetSource::NiftiSlices {
            images,
            masks,
            axis,
            slices,
            labels,
        } => {
            let axis = match axis {
                SliceAxis::Axial => sensibench_data::SliceAxis::Axial,
                SliceAxis::Coronal => sensibench_data::SliceAxis::Coronal,
                SliceAxis::Sagittal => sensibench_data::SliceAxis::Sagittal,
            };
            let parts = nifti_parts(images, masks, axis, slices).map_err(err)?;
            let mut samples = Vec::new();
            for (image, mask, slices) in parts {
                let ds =
                    NiftiSliceDataset::open(vec![image], vec![mask], axis, slices).map_err(err)?;
                for i in 0..ds.len() {
                    samples.push(ds.get(i).map_err(err)?);
                }
            }
            if let Some(map) = labels {
                let pairs: Vec<(u8, u8)> = map
                    .iter()
                    .flat_map(|(to, from)| from.iter().map(move |&f| (f, *to)))
                    .collect();
                for s in &mut samples {
                    if let Some(m) = &s.mask {
                        s.mask = Some(sensibench_data::remap_labels(m, &pairs));
                    }
                }
            }
            let n = plan.limit.map_or(samples.len(), |l| l.min(samples.len()));
            samples.truncate(n);
            return Ok(samples);
        }
        DatasetSource::DicomFolder { path } => {
            Box::new(DicomFolderDataset::open(path).map_err(err)?)
        }
        DatasetSource::ClassFolders {
            path,
            folders,
            split,
            per_class,
        } => Box::new(
            ClassFolderDataset::open(path, folders, hash_split(*split), *per_class).map_err(err)?,
        ),
        DatasetSource::ImageCsv { csv, data_root } => {
            Box::new(ImageCsvDataset::open(csv, data_root, classes).map_err(err)?)
        }
        DatasetSource::PhantomStacks { .. } => Box::new(slice_stacks(plan, seed)?),
        DatasetSource::PhantomClasses { per_class, size } => {
            Box::new(ClassPhantom::new(seed, classes.len(), *per_class, *size).map_err(err)?)
        }
    };
    let n = plan.limit.map_or(ds.len(), |l| l.min(ds.len()));
    (0..n)
        .into_par_iter()
        .map(|i| ds.get(i).map_err(err))
        .collect()
}

/// The slice stacks of a `phantom_stacks` dataset (an error for another
/// source).
pub(crate) fn slice_stacks(plan: &DatasetPlan, seed: u64) -> Result<SliceStacks> {
    let DatasetSource::PhantomStacks {
        subjects,
        slices_per_subject,
        size,
        positions,
        cuts,
        split,
    } = &plan.source
    else {
        return Err(RunError::Invalid(format!(
            "dataset `{}` is not a `phantom_stacks` dataset",
            plan.name
        )));
    };
    SliceStacks::new(
        seed,
        *subjects,
        *slices_per_subject,
        *size,
        *positions,
        cuts,
        hash_split(*split),
    )
    .map_err(|source| RunError::Dataset {
        dataset: plan.name.clone(),
        source,
    })
}

fn hash_split(split: Split) -> HashSplit {
    match split {
        Split::All => HashSplit::All,
        Split::Train => HashSplit::Train,
        Split::Test => HashSplit::Test,
    }
}

/// One `(image, mask, slices)` per volume: the slice list resolved per
/// volume, so `containing_label` finds each volume's own slices.
type NiftiPart = (PathBuf, Option<PathBuf>, Option<Vec<usize>>);

fn nifti_parts(
    images: &[PathBuf],
    masks: &[Option<PathBuf>],
    axis: sensibench_data::SliceAxis,
    slices: &SliceSelection,
) -> sensibench_core::Result<Vec<NiftiPart>> {
    let mut out = Vec::with_capacity(images.len());
    for (i, image) in images.iter().enumerate() {
        let mask = masks.get(i).cloned().flatten();
        let list = match slices {
            SliceSelection::All => None,
            SliceSelection::Indices(v) => Some(v.clone()),
            SliceSelection::ContainingLabel { label, margin } => {
                let Some(mp) = &mask else {
                    return Err(sensibench_core::Error::Other(format!(
                        "{}: `slices: {{containing_label: {label}}}` needs its mask",
                        image.display()
                    )));
                };
                let volume = sensibench_data::load_nifti_labels(mp)?;
                let found =
                    sensibench_data::slices_containing_label(&volume, axis, *label, *margin);
                if found.is_empty() {
                    return Err(sensibench_core::Error::Other(format!(
                        "{}: no {} slice contains label {label}",
                        mp.display(),
                        axis.name()
                    )));
                }
                Some(found)
            }
        };
        out.push((image.clone(), mask, list));
    }
    Ok(out)
}

/// The reference mode as the manifest spells it.
pub(crate) fn mode_str(m: ReferenceMode) -> &'static str {
    match m {
        ReferenceMode::GroundTruth => "ground_truth",
        ReferenceMode::UnperturbedPrediction => "unperturbed_prediction",
    }
}
