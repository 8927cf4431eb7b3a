//! File-backed datasets: image folders, NIfTI slices and DICOM folders.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use sensibench_core::{Error, Image, LabelMap, Result, Sample};

use crate::Dataset;
use crate::dicom_io::load_dicom;
use crate::file_errors::{decode_err, io_err};
use crate::nifti_io::{SliceAxis, load_nifti_image, load_nifti_labels, slice_image, slice_labels};
use crate::raster::{load_image, load_label_map};

fn out_of_range(i: usize, n: usize) -> Error {
    Error::invalid(
        "sample index",
        i,
        &format!("< {n} (the dataset's number of samples)"),
    )
}

/// Regular, non-hidden files of `dir`, sorted by file name.
fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|e| io_err(dir, e))?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let p = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && p.is_file() {
            out.push(p);
        }
    }
    out.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(out)
}

fn lower_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// The file name without its image extension (`.png`, `.jpg`, `.jpeg`,
/// `.nii`, `.nii.gz`, `.dcm`; case-insensitive); other names are kept whole.
pub fn file_stem(p: &Path) -> String {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_lowercase();
    for ext in [".nii.gz", ".png", ".jpg", ".jpeg", ".nii", ".dcm"] {
        if lower.ends_with(ext) && lower.len() > ext.len() {
            return name[..name.len() - ext.len()].to_string();
        }
    }
    name
}

fn is_raster(p: &Path) -> bool {
    let n = lower_name(p);
    n.ends_with(".png") || n.ends_with(".jpg") || n.ends_with(".jpeg")
}

fn is_mask_file(p: &Path) -> bool {
    let n = lower_name(p);
    n.ends_with(".png") || n.ends_with(".nii") || n.ends_with(".nii.gz")
}

/// A folder of 2D PNG/JPEG images, optionally with a folder of label maps.
///
/// Images are the `.png`/`.jpg`/`.jpeg` files of the folder (case-insensitive
/// extension, hidden files skipped), sorted by file name. The mask of an image
/// is the file of the mask folder with the same stem and a `.png`, `.nii` or
/// `.nii.gz` extension (loaded by [`load_label_map`]). The sample id is the
/// image's stem. Images load with [`load_image`] and the given spacing.
#[derive(Clone, Debug)]
pub struct ImageFolderDataset {
    images: Vec<PathBuf>,
    masks: Option<Vec<PathBuf>>,
    spacing_yx: [f64; 2],
}

impl ImageFolderDataset {
    /// Lists the folder(s). Errors: unreadable folder, no image, an image
    /// with no (or two) masks of its stem, or an image and mask whose PNG/JPEG
    /// headers give different sizes (both files named).
    pub fn open(images_dir: &Path, masks_dir: Option<&Path>, spacing_yx: [f64; 2]) -> Result<Self> {
        let images: Vec<PathBuf> = list_files(images_dir)?
            .into_iter()
            .filter(|p| is_raster(p))
            .collect();
        if images.is_empty() {
            return Err(decode_err(
                images_dir,
                "no .png/.jpg/.jpeg images in this folder",
            ));
        }
        let masks = match masks_dir {
            None => None,
            Some(mdir) => {
                let mut by_stem: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
                for m in list_files(mdir)?.into_iter().filter(|p| is_mask_file(p)) {
                    by_stem.entry(file_stem(&m)).or_default().push(m);
                }
                let mut out = Vec::with_capacity(images.len());
                for img in &images {
                    let stem = file_stem(img);
                    match by_stem.get(&stem).map(Vec::as_slice) {
                        Some([m]) => {
                            check_header_dims(img, m)?;
                            out.push(m.clone());
                        }
                        Some(many) => {
                            return Err(decode_err(
                                img,
                                format!(
                                    "several masks share the stem `{stem}`: {}",
                                    many.iter()
                                        .map(|p| p.display().to_string())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            ));
                        }
                        None => {
                            return Err(decode_err(
                                img,
                                format!(
                                    "no mask for this image: expected {}/{stem}.png (or .nii/.nii.gz)",
                                    mdir.display()
                                ),
                            ));
                        }
                    }
                }
                Some(out)
            }
        };
        Ok(ImageFolderDataset {
            images,
            masks,
            spacing_yx,
        })
    }

    /// The image files, in sample order.
    pub fn image_paths(&self) -> &[PathBuf] {
        &self.images
    }
}

/// Compares the sizes in the headers of a raster image and a PNG mask.
fn check_header_dims(img: &Path, mask: &Path) -> Result<()> {
    if !lower_name(mask).ends_with(".png") {
        return Ok(()); // NIfTI masks are checked when loaded
    }
    let dims = |p: &Path| {
        image::image_dimensions(p)
            .map_err(|e| decode_err(p, format!("cannot read image header: {e}")))
    };
    let (iw, ih) = dims(img)?;
    let (mw, mh) = dims(mask)?;
    if (iw, ih) != (mw, mh) {
        return Err(shape_mismatch(
            img,
            mask,
            &format!("{ih}x{iw}"),
            &format!("{mh}x{mw}"),
        ));
    }
    Ok(())
}

fn shape_mismatch(img: &Path, mask: &Path, ishape: &str, mshape: &str) -> Error {
    Error::Shape {
        what: format!("mask {} of image {}", mask.display(), img.display()),
        expected: ishape.to_string(),
        found: mshape.to_string(),
    }
}

impl Dataset for ImageFolderDataset {
    fn len(&self) -> usize {
        self.images.len()
    }

    fn sample_id(&self, i: usize) -> String {
        self.images.get(i).map(|p| file_stem(p)).unwrap_or_default()
    }

    fn get(&self, i: usize) -> Result<Sample> {
        let img_path = self
            .images
            .get(i)
            .ok_or_else(|| out_of_range(i, self.images.len()))?;
        let image = load_image(img_path, self.spacing_yx)?;
        let mask = match &self.masks {
            None => None,
            Some(ms) => {
                let m_path = &ms[i];
                let m = load_label_map(m_path, self.spacing_yx)?;
                if m.grid().dims() != image.grid().dims() {
                    return Err(shape_mismatch(
                        img_path,
                        m_path,
                        &image.grid().shape_string(),
                        &m.grid().shape_string(),
                    ));
                }
                // Masks take the image's spacing (NIfTI masks carry their own).
                Some(m.with_spacing(image.grid().spacing())?)
            }
        };
        Sample::new(file_stem(img_path), image, mask)
    }

    fn has_masks(&self) -> bool {
        self.masks.is_some()
    }
}

/// NIfTI volumes cut into 2D slices along one axis.
///
/// All volumes (and masks) are loaded when the dataset is opened. Samples are
/// ordered by volume, then slice index; the id is `{stem}-{axis}{index:03}`
/// (e.g. `example_ct-axial045`). When `slices` is given, the same indices are
/// taken from every volume (each must be in range); otherwise all slices.
/// [`Dataset::has_masks`] is true when every volume has a mask.
#[derive(Clone, Debug)]
pub struct NiftiSliceDataset {
    volumes: Vec<(String, Image, Option<LabelMap>)>,
    index: Vec<(usize, usize)>,
    axis: SliceAxis,
}

impl NiftiSliceDataset {
    /// Loads the volumes. `masks` is either empty (no masks) or has one entry
    /// per image. Errors: unreadable files, a mask whose shape differs from
    /// its image (both named), a slice index out of range, no samples.
    pub fn open(
        images: Vec<PathBuf>,
        masks: Vec<Option<PathBuf>>,
        axis: SliceAxis,
        slices: Option<Vec<usize>>,
    ) -> Result<Self> {
        if !masks.is_empty() && masks.len() != images.len() {
            return Err(Error::invalid(
                "masks",
                masks.len(),
                &format!("one entry per image ({}) or none", images.len()),
            ));
        }
        if images.is_empty() {
            return Err(Error::invalid("images", 0, "at least one NIfTI volume"));
        }
        let mut volumes = Vec::with_capacity(images.len());
        let mut index = Vec::new();
        for (v, img_path) in images.iter().enumerate() {
            let image = load_nifti_image(img_path)?;
            let mask = match masks.get(v).cloned().flatten() {
                None => None,
                Some(mp) => {
                    let m = load_nifti_labels(&mp)?;
                    if m.grid().dims() != image.grid().dims() {
                        return Err(shape_mismatch(
                            img_path,
                            &mp,
                            &image.grid().shape_string(),
                            &m.grid().shape_string(),
                        ));
                    }
                    Some(m.with_spacing(image.grid().spacing())?)
                }
            };
            let count = axis.count(image.grid());
            match &slices {
                None => index.extend((0..count).map(|s| (v, s))),
                Some(list) => {
                    for &s in list {
                        if s >= count {
                            return Err(decode_err(
                                img_path,
                                format!(
                                    "slice {s} out of range: the volume has {count} {} slices",
                                    axis.name()
                                ),
                            ));
                        }
                        index.push((v, s));
                    }
                }
            }
            volumes.push((file_stem(img_path), image, mask));
        }
        if index.is_empty() {
            return Err(Error::invalid("slices", "[]", "at least one slice"));
        }
        Ok(NiftiSliceDataset {
            volumes,
            index,
            axis,
        })
    }
}

impl Dataset for NiftiSliceDataset {
    fn len(&self) -> usize {
        self.index.len()
    }

    fn sample_id(&self, i: usize) -> String {
        match self.index.get(i) {
            Some(&(v, s)) => format!("{}-{}{:03}", self.volumes[v].0, self.axis.name(), s),
            None => String::new(),
        }
    }

    fn get(&self, i: usize) -> Result<Sample> {
        let &(v, s) = self
            .index
            .get(i)
            .ok_or_else(|| out_of_range(i, self.index.len()))?;
        let (_, vol, mask) = &self.volumes[v];
        let image = slice_image(vol, self.axis, s)?;
        let mask = match mask {
            Some(m) => Some(slice_labels(m, self.axis, s)?),
            None => None,
        };
        Sample::new(self.sample_id(i), image, mask)
    }

    fn has_masks(&self) -> bool {
        self.volumes.iter().all(|(_, _, m)| m.is_some())
    }
}

/// A folder of single-frame DICOM files (no masks), loaded by [`load_dicom`].
///
/// Files are the regular, non-hidden files whose bytes 128..132 are `DICM`
/// (the DICOM Part 10 preamble; any extension or none), except `DICOMDIR`,
/// sorted by file name. The sample id is the file name without `.dcm`.
#[derive(Clone, Debug)]
pub struct DicomFolderDataset {
    files: Vec<PathBuf>,
}

fn has_dicm_magic(p: &Path) -> Result<bool> {
    let mut f = std::fs::File::open(p).map_err(|e| io_err(p, e))?;
    let mut buf = [0u8; 132];
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(p, e)),
        }
    }
    Ok(got == 132 && &buf[128..132] == b"DICM")
}

impl DicomFolderDataset {
    /// Lists the folder. Errors: unreadable folder, or no DICOM file in it.
    pub fn open(dir: &Path) -> Result<Self> {
        let mut files = Vec::new();
        for p in list_files(dir)? {
            if lower_name(&p) == "dicomdir" {
                continue;
            }
            if has_dicm_magic(&p)? {
                files.push(p);
            }
        }
        if files.is_empty() {
            return Err(decode_err(
                dir,
                "no DICOM file (Part 10, with the `DICM` preamble) in this folder",
            ));
        }
        Ok(DicomFolderDataset { files })
    }

    /// The DICOM files, in sample order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.files
    }
}

impl Dataset for DicomFolderDataset {
    fn len(&self) -> usize {
        self.files.len()
    }

    fn sample_id(&self, i: usize) -> String {
        self.files.get(i).map(|p| file_stem(p)).unwrap_or_default()
    }

    fn get(&self, i: usize) -> Result<Sample> {
        let p = self
            .files
            .get(i)
            .ok_or_else(|| out_of_range(i, self.files.len()))?;
        Sample::new(file_stem(p), load_dicom(p)?, None)
    }

    fn has_masks(&self) -> bool {
        false
    }
}
