//! Classification datasets: one folder per class, a CSV of images with
//! labels and region boxes, and a synthetic fallback with one pattern per class.
//!
//! Every sample carries its class in [`Sample::label`]; the sample's label map
//! is a *region map* (label 1 = a box such as a side marker) where the source
//! gives one, and absent otherwise.

use std::path::{Path, PathBuf};

use sensibench_core::{Error, Grid, Image, LabelMap, Result, Sample, SeededRng, derive_seed};
use sha2::{Digest, Sha256};

use crate::Dataset;
use crate::datasets::file_stem;
use crate::file_errors::{decode_err, io_err};
use crate::raster::load_image;

/// Which part of the hash split a dataset takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashSplit {
    /// Every file.
    All,
    /// Files not in the test part.
    Train,
    /// Files in the test part (see [`in_test_split`]).
    Test,
}

/// Whether a file with contents `bytes` is in the test part of the fixed
/// split: the first four bytes of its SHA-256, read as a big-endian `u32`, are
/// divisible by 5 (about 1 file in 5). The reference models' training scripts
/// use the same rule (`int(sha256(bytes).hexdigest()[:8], 16) % 5 == 0`), so a
/// test image is never a training image whatever the folder order.
pub fn in_test_split(bytes: &[u8]) -> bool {
    let d = Sha256::digest(bytes);
    u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % 5 == 0
}

fn is_raster(p: &Path) -> bool {
    let n = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    n.ends_with(".png") || n.ends_with(".jpg") || n.ends_with(".jpeg")
}

/// Images of one folder per class.
///
/// Class `k`'s images are the PNG/JPEG files of `root/folders[k]` (hidden
/// files skipped), sorted by file name, restricted to the split, and cut to
/// the first `per_class`. The sample id is `folder-stem` (unique across
/// classes); samples are ordered class by class.
#[derive(Clone, Debug)]
pub struct ClassFolderDataset {
    entries: Vec<(PathBuf, u32, String)>,
}

impl ClassFolderDataset {
    /// Lists the images; fails on a missing or unreadable folder, or a class
    /// with no image in the split.
    pub fn open(
        root: &Path,
        folders: &[String],
        split: HashSplit,
        per_class: Option<usize>,
    ) -> Result<Self> {
        let mut entries = Vec::new();
        for (k, folder) in folders.iter().enumerate() {
            let dir = root.join(folder);
            let rd = std::fs::read_dir(&dir).map_err(|e| io_err(&dir, e))?;
            let mut files: Vec<PathBuf> = Vec::new();
            for entry in rd {
                let entry = entry.map_err(|e| io_err(&dir, e))?;
                let p = entry.path();
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                if !hidden && p.is_file() && is_raster(&p) {
                    files.push(p);
                }
            }
            files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
            let mut taken = 0usize;
            for p in files {
                if per_class.is_some_and(|n| taken >= n) {
                    break;
                }
                let keep = match split {
                    HashSplit::All => true,
                    HashSplit::Train | HashSplit::Test => {
                        let bytes = std::fs::read(&p).map_err(|e| io_err(&p, e))?;
                        in_test_split(&bytes) == (split == HashSplit::Test)
                    }
                };
                if keep {
                    let id = format!("{folder}-{}", file_stem(&p));
                    entries.push((p, k as u32, id));
                    taken += 1;
                }
            }
            if taken == 0 {
                return Err(decode_err(
                    &dir,
                    format!("class folder `{folder}` has no PNG/JPEG image in the {split:?} split"),
                ));
            }
        }
        Ok(ClassFolderDataset { entries })
    }

    /// The class index of every sample, in order.
    pub fn labels(&self) -> Vec<u32> {
        self.entries.iter().map(|e| e.1).collect()
    }
}

impl Dataset for ClassFolderDataset {
    fn len(&self) -> usize {
        self.entries.len()
    }
    fn sample_id(&self, i: usize) -> String {
        self.entries
            .get(i)
            .map_or_else(|| format!("#{i}"), |e| e.2.clone())
    }
    fn get(&self, i: usize) -> Result<Sample> {
        let (path, label, id) = self.entries.get(i).ok_or_else(|| {
            Error::invalid("sample index", i, &format!("< {}", self.entries.len()))
        })?;
        let image = load_image(path, [1.0, 1.0])?;
        Ok(Sample::new(id.clone(), image, None)?.with_label(Some(*label)))
    }
    fn has_masks(&self) -> bool {
        false
    }
}

/// One row of an image CSV.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvEntry {
    /// The image file (resolved against the data root).
    pub path: PathBuf,
    /// The sample id (`id` column, else the file stem).
    pub id: String,
    /// The class index, if the row has a label.
    pub label: Option<u32>,
    /// The region box `(y0, x0, y1, x1)`, end exclusive, if given.
    pub region: Option<[usize; 4]>,
}

/// Images listed in a CSV file.
///
/// The header names the columns (any order, case-sensitive): `image`
/// (required: a path relative to the data root), `id` (optional), `label`
/// (optional: a class name; empty = unlabelled), and `y0,x0,y1,x1` (optional,
/// all four or none: a region box in pixels, end exclusive; an empty cell =
/// no region). Fields are separated by commas, with no quoting; blank lines
/// and lines starting with `#` are skipped. The region becomes label 1 of
/// the sample's region map.
#[derive(Clone, Debug)]
pub struct ImageCsvDataset {
    entries: Vec<CsvEntry>,
}

impl ImageCsvDataset {
    /// Reads and checks the CSV: every error names the file and line.
    pub fn open(csv: &Path, data_root: &Path, classes: &[String]) -> Result<Self> {
        let text = std::fs::read_to_string(csv).map_err(|e| io_err(csv, e))?;
        let bad = |line: usize, reason: String| Error::Decode {
            path: PathBuf::from(format!("{}:{line}", csv.display())),
            reason,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let (hl, header) = lines.next().ok_or_else(|| {
            bad(
                1,
                "empty CSV: expected a header with an `image` column".into(),
            )
        })?;
        let cols: Vec<&str> = header.split(',').map(str::trim).collect();
        let col = |name: &str| cols.iter().position(|c| *c == name);
        let image_col = col("image").ok_or_else(|| {
            bad(
                hl,
                format!("the header {header:?} has no `image` column (columns: image, id, label, y0, x0, y1, x1)"),
            )
        })?;
        for c in &cols {
            if !["image", "id", "label", "y0", "x0", "y1", "x1"].contains(c) {
                return Err(bad(
                    hl,
                    format!("unknown column `{c}` (known: image, id, label, y0, x0, y1, x1)"),
                ));
            }
        }
        let box_cols: Vec<Option<usize>> =
            ["y0", "x0", "y1", "x1"].iter().map(|c| col(c)).collect();
        let n_box = box_cols.iter().filter(|c| c.is_some()).count();
        if n_box != 0 && n_box != 4 {
            return Err(bad(hl, "give all four of y0, x0, y1, x1 or none".into()));
        }
        let mut entries = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (ln, line) in lines {
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            if f.len() != cols.len() {
                return Err(bad(
                    ln,
                    format!("{} fields, but the header has {}", f.len(), cols.len()),
                ));
            }
            let rel = f[image_col];
            if rel.is_empty() {
                return Err(bad(ln, "empty `image`".into()));
            }
            let path = data_root.join(rel);
            let id = match col("id") {
                Some(c) if !f[c].is_empty() => f[c].to_string(),
                _ => file_stem(&path),
            };
            if !seen.insert(id.clone()) {
                return Err(bad(ln, format!("duplicate sample id `{id}`")));
            }
            let label = match col("label").map(|c| f[c]) {
                None | Some("") => None,
                Some(name) => Some(classes.iter().position(|c| c == name).ok_or_else(|| {
                    bad(
                        ln,
                        format!(
                            "label `{name}` is not a class of the suite ({})",
                            classes.join(", ")
                        ),
                    )
                })? as u32),
            };
            let region = if n_box == 4 {
                let cells: Vec<&str> = box_cols.iter().flatten().map(|&c| f[c]).collect();
                if cells.iter().all(|c| c.is_empty()) {
                    None
                } else {
                    let mut v = [0usize; 4];
                    for (slot, (cell, name)) in
                        v.iter_mut().zip(cells.iter().zip(["y0", "x0", "y1", "x1"]))
                    {
                        *slot = cell.parse().map_err(|_| {
                            bad(ln, format!("`{name}` = {cell:?}: expected a pixel index (a whole number >= 0)"))
                        })?;
                    }
                    if v[2] <= v[0] || v[3] <= v[1] {
                        return Err(bad(
                            ln,
                            format!("empty box {v:?}: need y1 > y0 and x1 > x0"),
                        ));
                    }
                    Some(v)
                }
            } else {
                None
            };
            entries.push(CsvEntry {
                path,
                id,
                label,
                region,
            });
        }
        if entries.is_empty() {
            return Err(bad(hl, "the CSV lists no images".into()));
        }
        Ok(ImageCsvDataset { entries })
    }

    /// The rows.
    pub fn entries(&self) -> &[CsvEntry] {
        &self.entries
    }
}

impl Dataset for ImageCsvDataset {
    fn len(&self) -> usize {
        self.entries.len()
    }
    fn sample_id(&self, i: usize) -> String {
        self.entries
            .get(i)
            .map_or_else(|| format!("#{i}"), |e| e.id.clone())
    }
    fn get(&self, i: usize) -> Result<Sample> {
        let e = self.entries.get(i).ok_or_else(|| {
            Error::invalid("sample index", i, &format!("< {}", self.entries.len()))
        })?;
        let image = load_image(&e.path, [1.0, 1.0])?;
        let mask = match e.region {
            None => None,
            Some([y0, x0, y1, x1]) => {
                let g = image.grid();
                if y1 > g.height() || x1 > g.width() {
                    return Err(decode_err(
                        &e.path,
                        format!(
                            "region box [{y0}, {x0}, {y1}, {x1}) does not fit the {}x{} image",
                            g.height(),
                            g.width()
                        ),
                    ));
                }
                let mut m = LabelMap::filled(g.clone(), 0);
                let w = g.width();
                for y in y0..y1 {
                    m.data_mut()[y * w + x0..y * w + x1].fill(1);
                }
                Some(m)
            }
        };
        Ok(Sample::new(e.id.clone(), image, mask)?.with_label(e.label))
    }
    fn has_masks(&self) -> bool {
        self.entries.iter().any(|e| e.region.is_some())
    }
}

/// A synthetic classification fallback: `per_class` images of `size x size`
/// pixels for each of `classes` classes, deterministic in the seed.
///
/// Class `k` shows a soft-edged body (an ellipse) carrying `k + 1` bright
/// round blobs placed evenly on a circle (random radius, rotation and
/// contrast per image), over Gaussian noise; intensities in 0..255. It is
/// there so a classification suite runs with no data at all: a model trained
/// on real images will not recognise these classes, and the report says the
/// data is synthetic.
#[derive(Clone, Debug)]
pub struct ClassPhantom {
    seed: u64,
    classes: usize,
    per_class: usize,
    size: usize,
}

impl ClassPhantom {
    /// Checks the arguments (classes >= 2, per_class >= 1, size 16..=2048).
    pub fn new(seed: u64, classes: usize, per_class: usize, size: usize) -> Result<Self> {
        if classes < 2 {
            return Err(Error::invalid("classes", classes, "at least 2"));
        }
        if per_class == 0 {
            return Err(Error::invalid("per_class", per_class, "at least 1"));
        }
        if !(16..=2048).contains(&size) {
            return Err(Error::invalid("size", size, "16..=2048 pixels"));
        }
        Ok(ClassPhantom {
            seed,
            classes,
            per_class,
            size,
        })
    }
}

impl Dataset for ClassPhantom {
    fn len(&self) -> usize {
        self.classes * self.per_class
    }
    fn sample_id(&self, i: usize) -> String {
        format!("class{}-{:04}", i / self.per_class, i % self.per_class)
    }
    fn get(&self, i: usize) -> Result<Sample> {
        if i >= self.len() {
            return Err(Error::invalid(
                "sample index",
                i,
                &format!("< {}", self.len()),
            ));
        }
        let k = i / self.per_class;
        let id = self.sample_id(i);
        let mut rng = SeededRng::new(derive_seed(self.seed, &["phantom_classes", &id]));
        let n = self.size;
        let s = n as f64;
        let (cy, cx) = (
            s / 2.0 + rng.range(-0.04, 0.04) * s,
            s / 2.0 + rng.range(-0.04, 0.04) * s,
        );
        let (ry, rx) = (rng.range(0.30, 0.40) * s, rng.range(0.30, 0.40) * s);
        let ring = rng.range(0.12, 0.2) * s;
        let turn = rng.range(0.0, std::f64::consts::TAU);
        let blob_r = rng.range(0.05, 0.07) * s;
        let body = rng.range(90.0, 130.0);
        let blob = rng.range(200.0, 240.0);
        let blobs: Vec<(f64, f64)> = (0..=k)
            .map(|j| {
                let a = turn + std::f64::consts::TAU * j as f64 / (k + 1) as f64;
                let r = if k == 0 { 0.0 } else { ring };
                (cy + r * a.sin(), cx + r * a.cos())
            })
            .collect();
        let mut data = Vec::with_capacity(n * n);
        for y in 0..n {
            for x in 0..n {
                let (fy, fx) = (y as f64 + 0.5, x as f64 + 0.5);
                let e = ((fy - cy) / ry).powi(2) + ((fx - cx) / rx).powi(2);
                let mut v = 20.0 + (body - 20.0) / (1.0 + ((e.sqrt() - 1.0) * 12.0).exp());
                for &(by, bx) in &blobs {
                    let d = ((fy - by).powi(2) + (fx - bx).powi(2)).sqrt() / blob_r;
                    v += (blob - body) / (1.0 + ((d - 1.0) * 6.0).exp());
                }
                v += 6.0 * rng.normal();
                data.push(v.clamp(0.0, 255.0) as f32);
            }
        }
        let image = Image::new(Grid::new_2d(n, n, [1.0, 1.0])?, data)?;
        Ok(Sample::new(id, image, None)?.with_label(Some(k as u32)))
    }
    fn has_masks(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_rule_matches_python() {
        // python: h = hashlib.sha256(b"").hexdigest()[:8] = "e3b0c442"; int(h, 16) % 5 = 0
        assert_eq!(0xe3b0_c442_u32 % 5, 0);
        assert!(in_test_split(b""));
        // python: hashlib.sha256(b"abc").hexdigest()[:8] = "ba7816bf"; int(h, 16) % 5 = 4
        assert_eq!(0xba78_16bf_u32 % 5, 4);
        assert!(!in_test_split(b"abc"));
    }

    #[test]
    fn csv_rows_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let img = image::GrayImage::from_fn(8, 6, |x, y| image::Luma([(x * 10 + y) as u8]));
        img.save(dir.path().join("a.png")).unwrap();
        let csv = dir.path().join("list.csv");
        let classes = vec!["neg".to_string(), "pos".to_string()];
        std::fs::write(
            &csv,
            "image,label,y0,x0,y1,x1\n# comment\na.png,pos,1,2,3,5\n",
        )
        .unwrap();
        let ds = ImageCsvDataset::open(&csv, dir.path(), &classes).unwrap();
        let s = ds.get(0).unwrap();
        assert_eq!(s.id, "a");
        assert_eq!(s.label, Some(1));
        let m = s.mask.unwrap();
        assert_eq!(m.count(1), 2 * 3);
        assert_eq!(m.at(0, 1, 2), 1);
        assert_eq!(m.at(0, 3, 2), 0);
        std::fs::write(&csv, "image,label\na.png,cat\n").unwrap();
        let e = ImageCsvDataset::open(&csv, dir.path(), &classes)
            .unwrap_err()
            .to_string();
        assert!(e.contains("list.csv:2") && e.contains("`cat`"), "{e}");
        std::fs::write(&csv, "image,y0\na.png,1\n").unwrap();
        let e = ImageCsvDataset::open(&csv, dir.path(), &classes)
            .unwrap_err()
            .to_string();
        assert!(e.contains("all four"), "{e}");
        std::fs::write(&csv, "image,y0,x0,y1,x1\na.png,0,0,9,2\n").unwrap();
        let ds = ImageCsvDataset::open(&csv, dir.path(), &classes).unwrap();
        let e = ds.get(0).unwrap_err().to_string();
        assert!(e.contains("does not fit the 6x8 image"), "{e}");
    }

    #[test]
    fn phantom_is_deterministic_and_labelled() {
        let p = ClassPhantom::new(7, 3, 2, 32).unwrap();
        assert_eq!(p.len(), 6);
        let a = p.get(5).unwrap();
        assert_eq!(a.label, Some(2));
        assert_eq!(a, p.get(5).unwrap());
        assert_ne!(a.image, p.get(4).unwrap().image);
        assert!(p.get(6).is_err());
    }
}
