#!/usr/bin/env python3
"""Content digests of a sensibench run folder, for the before/after check of a refactor.

usage: digest.py RUN_DIR            prints {relative path: digest} as JSON

Every file of the run folder but the HTML report is digested:
- parquet parts: the table read with pyarrow, the provenance columns that change with
  every commit or clock (`git_sha`, `created`) left out; each remaining column is hashed
  value by value (floats as `float.hex`, so a change in the last bit shows), with its
  name and type;
- JSON files (manifest, summaries): parsed, the keys that hold times, clocks or the git
  sha dropped at any depth, then hashed in a canonical dump;
- the file hash of a native plugin (`model_hash` of rows with `backend = native`, `hash`
  of a native model in the manifest) as `<native>`: its bytes depend on the build folder;
- everything else (PNG strips, saliency maps, CSV, NIfTI): the bytes.
`report/` is left out: it is rendered from the files above and carries the git sha and
the run's timings. Absolute paths of the run folder itself, the plugin folder (`SENSIBENCH_PLUGIN_PATH`),
the checkout and the data root are written as `<run>`, `<plugins>`, `<repo>` and `<data>`
in every string, so a clone in another folder digests the same.
"""
import hashlib
import json
import math
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

VOLATILE_COLUMNS = {"git_sha", "created", "train_seconds"}
# Keys of JSON files whose values are clocks, durations or the commit.
VOLATILE_KEYS = {
    "git_sha", "created", "started", "finished", "elapsed", "elapsed_s", "seconds",
    "timing", "timings", "model_seconds", "harness_seconds", "wall_seconds", "duration",
    "duration_s", "predict_seconds", "overhead",
}


REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.realpath(os.environ.get("SENSIBENCH_DATA_ROOT") or os.path.join(REPO, "..", "shared", "data"))
# The folder native plugins are loaded from (their path is in the manifest).
PLUGINS = [os.path.realpath(p) for p in os.environ.get("SENSIBENCH_PLUGIN_PATH", "").split(":") if p]


RUN = []  # the run folder being digested, as `<run>`


def canon(v):
    if isinstance(v, str):
        for p in RUN:
            v = v.replace(p, "<run>")
        for p in PLUGINS:
            v = v.replace(p, "<plugins>")
        return v.replace(DATA, "<data>").replace(REPO, "<repo>")
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return v.hex()
    if isinstance(v, (list, tuple)):
        return [canon(x) for x in v]
    if isinstance(v, dict):
        return {k: canon(x) for k, x in sorted(v.items())}
    return v


def native_hashes_blanked(table):
    """`model_hash` of native plugins as `<native>`: the plugin is a build product whose bytes
    depend on the folder it was built in."""
    if "backend" not in table.column_names or "model_hash" not in table.column_names:
        return table
    backend = table.column("backend").to_pylist()
    hashes = [("<native>" if b == "native" else h) for b, h in zip(backend, table.column("model_hash").to_pylist())]
    i = table.column_names.index("model_hash")
    return table.set_column(i, "model_hash", pa.array(hashes, type=table.schema.field(i).type))


def parquet_digest(path):
    table = native_hashes_blanked(pq.read_table(path))
    h = hashlib.sha256()
    h.update(str(table.num_rows).encode())
    for name in sorted(table.column_names):
        if name in VOLATILE_COLUMNS:
            continue
        col = table.column(name)
        h.update(f"|{name}:{col.type}|".encode())
        h.update(json.dumps(canon(col.to_pylist()), separators=(",", ":")).encode())
    return h.hexdigest()


def scrub(v):
    if isinstance(v, dict):
        if v.get("backend") == "native" and "hash" in v:
            v = {**v, "hash": "<native>"}
        return {k: scrub(x) for k, x in v.items() if k not in VOLATILE_KEYS}
    if isinstance(v, list):
        return [scrub(x) for x in v]
    return v


def json_digest(path):
    with open(path, encoding="utf-8") as f:
        data = scrub(json.load(f))
    text = json.dumps(canon(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def bytes_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def digest_run(run_dir):
    RUN[:] = [os.path.realpath(run_dir)]
    out = {}
    for dirpath, dirnames, filenames in os.walk(run_dir):
        rel_dir = os.path.relpath(dirpath, run_dir)
        if rel_dir.split(os.sep)[0] == "report":
            dirnames[:] = []
            continue
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if name.endswith(".parquet"):
                out[rel] = parquet_digest(path)
            elif name.endswith(".json"):
                out[rel] = json_digest(path)
            elif name.endswith(".tmp") or name.endswith(".lock"):
                continue
            else:
                out[rel] = bytes_digest(path)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    json.dump(digest_run(sys.argv[1]), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
