//! Scale-out: a run split into shards (`--shard I/N`) and merged back
//! (`sensibench merge`).
//!
//! A run's work units are its parts: one per (model, dataset, perturbation)
//! for robustness and prediction parts, one per (study, source, size, fold,
//! repeat) for the data-efficiency study, and the saliency stage as one
//! unit. Every shard enumerates the same units in the same order, estimates
//! each one's cost, and assigns them with the longest-processing-time rule:
//! units sorted by cost (largest first, ties by name), each given to the
//! shard with the least cost so far (ties to the lowest index). The
//! partition is a pure function of the suite and the data, so the N shard
//! processes agree on it without talking to each other.
//!
//! Cost model (relative units): a robustness or prediction part costs
//! `samples × points × voxels`; a fine-tuning part `steps × batch × voxels ×
//! 3` (forward and backward passes); the saliency stage `models × samples ×
//! conditions × voxels × 20` (occlusion and Grad-CAM take many passes).
//!
//! Shard `I` of `N` of run `ID` writes to `<out>/<suite>/<ID>/shards/I-of-N/`
//! (a complete run folder holding only its parts); its rows carry the run id
//! `ID`, so the merged parts are byte-identical to a single-machine run's.
//! [`merge`] checks the shards agree (suite hash, seed, harness, git sha,
//! models), that every shard finished every unit it owns, copies the parts
//! into `<out>/<suite>/<ID>/` and writes the manifest and the report.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::manifest::{Manifest, ShardInfo};
use crate::{Result, RunError, io_err};

/// One shard of a run: `index` in `0..count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` (0-based `I`, as Slurm's `SLURM_ARRAY_TASK_ID` with
    /// `--array=0-(N-1)`).
    pub fn parse(s: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("`--shard {s}`: expected I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard's folder inside the run folder `run_dir`.
    pub fn dir(&self, run_dir: &Path) -> PathBuf {
        run_dir
            .join("shards")
            .join(format!("{}-of-{}", self.index, self.count))
    }
}

/// A work unit: a part file (relative to the run folder, e.g.
/// `parts/a__b__c.parquet`) or a stage, and its estimated cost.
#[derive(Clone, Debug)]
pub(crate) struct Unit {
    pub name: String,
    pub cost: f64,
}

/// The shard of each unit (longest processing time first; see the module docs).
pub(crate) fn assign(units: &[Unit], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| {
        units[b]
            .cost
            .total_cmp(&units[a].cost)
            .then_with(|| units[a].name.cmp(&units[b].name))
    });
    let mut load = vec![0.0f64; count.max(1)];
    let mut owner = vec![0usize; units.len()];
    for u in order {
        let (best, _) =
            load.iter()
                .enumerate()
                .fold((0usize, f64::INFINITY), |(bi, bl), (i, &l)| {
                    if l < bl { (i, l) } else { (bi, bl) }
                });
        owner[u] = best;
        load[best] += units[u].cost;
    }
    owner
}

/// Which units this process runs: all of them, or one shard's.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ownership {
    owned: Option<BTreeSet<String>>,
}

impl Ownership {
    /// Every unit (an unsharded run).
    pub(crate) fn all() -> Self {
        Ownership { owned: None }
    }

    /// The units `shard` owns out of `units`.
    pub(crate) fn of(shard: Option<Shard>, units: &[Unit]) -> Self {
        match shard {
            None => Ownership::all(),
            Some(s) => {
                let owner = assign(units, s.count);
                Ownership {
                    owned: Some(
                        units
                            .iter()
                            .zip(owner)
                            .filter(|(_, o)| *o == s.index)
                            .map(|(u, _)| u.name.clone())
                            .collect(),
                    ),
                }
            }
        }
    }

    /// Whether this process runs unit `name`.
    pub(crate) fn owns(&self, name: &str) -> bool {
        self.owned.as_ref().is_none_or(|o| o.contains(name))
    }

    /// The owned units, when sharded (recorded in the shard's manifest).
    pub(crate) fn list(&self) -> Option<Vec<String>> {
        self.owned.as_ref().map(|o| o.iter().cloned().collect())
    }
}

/// What a shard records about itself: its index, its units, and the whole
/// run's unit count and digest (so a merge can tell shards that partitioned
/// different work apart, e.g. when a node could not see a dataset).
pub(crate) fn shard_info(shard: Shard, owned: &Ownership, units: &[Unit]) -> ShardInfo {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for u in units {
        h.update(u.name.as_bytes());
        h.update([0u8]);
    }
    ShardInfo {
        index: shard.index,
        count: shard.count,
        units: owned.list().unwrap_or_default(),
        total_units: units.len(),
        plan_digest: format!("{:x}", h.finalize()),
    }
}

/// The folders holding a unit's files, relative to a run folder.
const PART_FOLDERS: [&str; 5] = ["parts", "predictions", "efficiency", "saliency", "strips"];

/// What [`merge`] did.
#[derive(Clone, Debug)]
pub struct MergeSummary {
    pub run_dir: PathBuf,
    pub shards: usize,
    pub files: usize,
}

/// A shard folder given to [`merge`], with its manifest.
struct ShardFolder {
    dir: PathBuf,
    manifest: Manifest,
    info: ShardInfo,
}

/// Merges the shard folders `shards` of one run into `into` (default: the
/// run folder the shards sit in, `<run>/shards/I-of-N` → `<run>`). Every
/// shard of the run must be given, must agree with the others on what was
/// run, and must have finished every unit it owns.
pub fn merge(shards: &[PathBuf], into: Option<&Path>) -> Result<MergeSummary> {
    let folders = read_shards(shards)?;
    let first = &folders[0];
    let count = first.info.count;
    let mut seen = vec![None::<PathBuf>; count];
    for shard in &folders {
        check_same_run(first, shard)?;
        match &seen[shard.info.index] {
            Some(other) => {
                return Err(RunError::Merge(format!(
                    "shard {}/{count} given twice: {} and {}",
                    shard.info.index,
                    other.display(),
                    shard.dir.display()
                )));
            }
            None => seen[shard.info.index] = Some(shard.dir.clone()),
        }
        check_finished(shard)?;
    }
    check_partition(&folders, &seen)?;
    let target = merge_target(&first.dir, into)?;
    let mut files = 0;
    for shard in &folders {
        for folder in PART_FOLDERS {
            files += copy_tree(&shard.dir.join(folder), &target.join(folder))?;
        }
        // a label study's outputs are the same in every shard
        files += copy_tree(&shard.dir.join("labels"), &target.join("labels"))?;
    }
    let mut merged = first.manifest.clone();
    merged.shard = None;
    merged.created = folders
        .iter()
        .map(|s| s.manifest.created.clone())
        .min()
        .unwrap_or_default();
    std::fs::create_dir_all(&target).map_err(io_err(&target))?;
    merged.write(&target)?;
    Ok(MergeSummary {
        run_dir: target,
        shards: count,
        files,
    })
}

/// The manifests of the shard folders `shards` (at least one; each must be
/// a shard's).
fn read_shards(shards: &[PathBuf]) -> Result<Vec<ShardFolder>> {
    if shards.is_empty() {
        return Err(RunError::Merge(
            "merge: no shard folders given (they are <out>/<suite>/<run id>/shards/I-of-N)".into(),
        ));
    }
    let mut folders = Vec::new();
    for dir in shards {
        let m = Manifest::read(dir)?;
        let Some(info) = m.shard.clone() else {
            return Err(RunError::Merge(format!(
                "{}: not a shard (its manifest has no `shard`; was it run with --shard I/N?)",
                dir.display()
            )));
        };
        folders.push(ShardFolder {
            dir: dir.clone(),
            manifest: m,
            info,
        });
    }
    Ok(folders)
}

/// Whether `shard` is a shard of the same run as `first`: shard count, run
/// id, suite, harness, git sha, work units, seed and models.
fn check_same_run(first: &ShardFolder, shard: &ShardFolder) -> Result<()> {
    let (first_info, info) = (&first.info, &shard.info);
    let (first_m, m) = (&first.manifest, &shard.manifest);
    let count = first_info.count;
    let differs = |what: &str, a: &str, b: &str| {
        RunError::Merge(format!(
            "{} and {} are shards of different runs: {what} `{a}` vs `{b}`",
            first.dir.display(),
            shard.dir.display()
        ))
    };
    if info.count != count {
        return Err(differs(
            "shard count",
            &count.to_string(),
            &info.count.to_string(),
        ));
    }
    for (what, a, b) in [
        ("run id", &first_m.run_id, &m.run_id),
        ("suite", &first_m.suite, &m.suite),
        ("suite hash", &first_m.suite_hash, &m.suite_hash),
        (
            "harness version",
            &first_m.harness_version,
            &m.harness_version,
        ),
        ("git sha", &first_m.git_sha, &m.git_sha),
    ] {
        if a != b {
            return Err(differs(what, a, b));
        }
    }
    if info.plan_digest != first_info.plan_digest || info.total_units != first_info.total_units {
        return Err(differs(
            "work units (did every node see the same datasets?)",
            &format!(
                "{} units, digest {}",
                first_info.total_units, first_info.plan_digest
            ),
            &format!("{} units, digest {}", info.total_units, info.plan_digest),
        ));
    }
    if first_m.seed != m.seed {
        return Err(differs(
            "seed",
            &first_m.seed.to_string(),
            &m.seed.to_string(),
        ));
    }
    for (a, b) in first_m.models.iter().zip(&m.models) {
        if a.name != b.name || a.hash != b.hash {
            return Err(differs(
                &format!("model `{}` hash", a.name),
                &a.hash,
                &format!("{} ({})", b.hash, b.name),
            ));
        }
    }
    if first_m.models.len() != m.models.len() {
        return Err(differs(
            "number of models",
            &first_m.models.len().to_string(),
            &m.models.len().to_string(),
        ));
    }
    Ok(())
}

/// Whether `shard` finished every unit it owns: a part's file exists, a
/// stage's folder holds parts.
fn check_finished(shard: &ShardFolder) -> Result<()> {
    let (dir, info) = (&shard.dir, &shard.info);
    let missing: Vec<&String> = info
        .units
        .iter()
        .filter(|u| {
            if u.contains('/') {
                !dir.join(u).is_file()
            } else {
                // a stage: its folder must hold its parts
                std::fs::read_dir(dir.join(u.as_str())).map_or(true, |mut r| {
                    !r.any(|e| {
                        e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "parquet"))
                    })
                })
            }
        })
        .collect();
    if !missing.is_empty() {
        return Err(RunError::Merge(format!(
            "shard {}/{} ({}) did not finish: {} of its {} part(s) missing, e.g. {}; run it again with --resume",
            info.index,
            info.count,
            dir.display(),
            missing.len(),
            info.units.len(),
            missing[0]
        )));
    }
    Ok(())
}

/// Whether the shards own every unit of the run once: no overlap, every
/// shard given (`seen` per index), all units covered.
fn check_partition(folders: &[ShardFolder], seen: &[Option<PathBuf>]) -> Result<()> {
    let first = &folders[0];
    let count = first.info.count;
    let owned_total: usize = folders.iter().map(|s| s.info.units.len()).sum();
    let distinct: BTreeSet<&String> = folders.iter().flat_map(|s| &s.info.units).collect();
    if distinct.len() != owned_total {
        return Err(RunError::Merge(
            "merge: the shards' units overlap (a unit is owned by two shards)".into(),
        ));
    }
    let absent: Vec<String> = (0..count)
        .filter(|&i| seen[i].is_none())
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !absent.is_empty() {
        return Err(RunError::Merge(format!(
            "merge: shard(s) {} of run `{}` not given (all {count} are needed)",
            absent.join(", "),
            first.manifest.run_id
        )));
    }
    if owned_total != first.info.total_units {
        return Err(RunError::Merge(format!(
            "merge: the shards own {owned_total} of the run's {} units",
            first.info.total_units
        )));
    }
    Ok(())
}

/// Where the shards merge to: `into`, or the run folder holding the first
/// shard (`<run>/shards/I-of-N` → `<run>`).
fn merge_target(first_dir: &Path, into: Option<&Path>) -> Result<PathBuf> {
    match into {
        Some(t) => Ok(t.to_path_buf()),
        None => first_dir
            .parent()
            .filter(|p| p.file_name().is_some_and(|n| n == "shards"))
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .ok_or_else(|| {
                RunError::Merge(format!(
                    "{}: not inside <run>/shards/; say where to merge with --into",
                    first_dir.display()
                ))
            }),
    }
}

/// Copies the files under `from` into `to` (folders created; existing
/// files replaced); returns how many. A missing `from` copies nothing.
fn copy_tree(from: &Path, to: &Path) -> Result<usize> {
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(0);
    };
    let mut n = 0;
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue; // temporary files of a killed write
        }
        if path.is_dir() {
            n += copy_tree(&path, &to.join(&name))?;
        } else {
            std::fs::create_dir_all(to).map_err(io_err(to))?;
            let dest = to.join(&name);
            std::fs::copy(&path, &dest).map_err(io_err(&dest))?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(name: &str, cost: f64) -> Unit {
        Unit {
            name: name.into(),
            cost,
        }
    }

    #[test]
    fn parse_accepts_i_of_n_and_refuses_the_rest() {
        assert_eq!(Shard::parse("0/4"), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
        for bad in ["4/4", "1/0", "x/2", "1", "-1/2", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn longest_processing_time_hand_worked() {
        // costs 7, 5, 4, 3, 1 on 2 shards: 7→0, 5→1, 4→1 (5 < 7), 3→0 (7 < 9),
        // 1→0 (10 = 9? no: loads 10 vs 9 → shard 1)
        let units = [
            u("a", 7.0),
            u("b", 5.0),
            u("c", 4.0),
            u("d", 3.0),
            u("e", 1.0),
        ];
        assert_eq!(assign(&units, 2), vec![0, 1, 1, 0, 1]);
        // equal costs: sorted by name, round robin
        let units = [u("z", 1.0), u("y", 1.0), u("x", 1.0)];
        assert_eq!(assign(&units, 3), vec![2, 1, 0]);
    }

    #[test]
    fn every_unit_is_owned_by_exactly_one_shard() {
        let units: Vec<Unit> = (0..23)
            .map(|i| u(&format!("parts/p{i}.parquet"), ((i * 37) % 11) as f64 + 0.5))
            .collect();
        for n in 1..6 {
            let mut count = vec![0; units.len()];
            for i in 0..n {
                let own = Ownership::of(Some(Shard { index: i, count: n }), &units);
                for (k, unit) in units.iter().enumerate() {
                    if own.owns(&unit.name) {
                        count[k] += 1;
                    }
                }
            }
            assert!(count.iter().all(|&c| c == 1), "n = {n}: {count:?}");
        }
        assert!(Ownership::all().owns("anything"));
    }
}
