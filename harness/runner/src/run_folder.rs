//! Where a run goes: the run folder (new, named, resumed or a shard's) and the
//! run id its rows carry.

use std::path::{Path, PathBuf};

use sensibench_suite::plan::Plan;

use crate::manifest::Manifest;
use crate::options::RunOptions;
use crate::{Result, RunError};
use sensibench_results::time;

/// The run id: the run folder's name.
pub(crate) fn run_id_of(run_dir: &Path) -> String {
    run_dir
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
}

pub(crate) fn git_sha_or(s: &str) -> String {
    if s.is_empty() {
        "unknown".into()
    } else {
        s.into()
    }
}

/// The run folder and the run id its rows carry.
pub(crate) fn choose_run_dir(plan: &Plan, opts: &RunOptions) -> Result<(PathBuf, String)> {
    let dir = choose_dir(plan, opts)?;
    let id = match (&opts.shard, &opts.run_id) {
        (Some(_), Some(id)) => id.clone(),
        _ => run_id_of(&dir),
    };
    Ok((dir, id))
}

fn choose_dir(plan: &Plan, opts: &RunOptions) -> Result<PathBuf> {
    let suite_dir = opts.out.join(&plan.name);
    if let Some(shard) = &opts.shard {
        let Some(id) = &opts.run_id else {
            return Err(RunError::Invalid(format!(
                "--shard {}/{} needs --run-id, so the shards agree on the run they belong to (on Slurm: --run-id $SLURM_ARRAY_JOB_ID)",
                shard.index, shard.count
            )));
        };
        if plan.labels.is_some() {
            return Err(RunError::Invalid(
                "a suite with a `labels:` study cannot be sharded: its fine-tuned classifiers are the models of every part; run it unsharded".into(),
            ));
        }
        return Ok(shard.dir(&suite_dir.join(id)));
    }
    if let Some(id) = &opts.run_id {
        return Ok(suite_dir.join(id));
    }
    if opts.resume {
        // the newest run of this suite with the same suite hash
        let mut runs: Vec<PathBuf> = std::fs::read_dir(&suite_dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        runs.sort();
        for r in runs.iter().rev() {
            if let Ok(m) = Manifest::read(r)
                && m.suite_hash == plan.suite_hash
            {
                return Ok(r.clone());
            }
        }
    }
    let mut id = time::run_id_now();
    let mut k = 1;
    while suite_dir.join(&id).exists() {
        k += 1;
        id = format!("{}-{k}", time::run_id_now());
    }
    Ok(suite_dir.join(id))
}
