#!/usr/bin/env bash
# The before/after check of a refactor: every committed suite is run and the content of its
# run folder (parquet parts, predictions, strips, saliency, label and efficiency files,
# manifest; see digest.py for what is left out) is compared with the digests recorded in
# tests/golden/<suite>.json by the code before the change.
#
#   scripts/golden/check.sh check [SUITE...]    run and compare (exit 1 on any difference)
#   scripts/golden/check.sh record [SUITE...]   run and (re)write the recorded digests
#
# SENSIBENCH_BIN (default target/debug/sensibench, as `make test` builds it), ORT_DYLIB_PATH
# and SENSIBENCH_PLUGIN_PATH are taken from the environment (`make golden-check` sets them).
# The digests were recorded with the real data of ../shared/data present.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:?usage: check.sh check|record [SUITE...]}
shift
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(cardiac cxr-markers modality muscle slice-position)
bin=${SENSIBENCH_BIN:-target/debug/sensibench}
py=${GOLDEN_PYTHON:-.tools/golden/bin/python}
out=$(mktemp -d "${TMPDIR:-/tmp}/sensibench-golden.XXXXXX")
trap 'rm -rf "$out"' EXIT
status=0
for s in "${suites[@]}"; do
  echo "==> $s"
  start=$(date +%s)
  "$bin" run "suites/$s.yaml" --out "$out/$s" --run-id golden --quiet >"$out/$s.log" 2>&1 || {
    echo "    run exited non-zero (log below)"; tail -20 "$out/$s.log"; }
  run_dir=$(find "$out/$s" -mindepth 2 -maxdepth 2 -type d -name golden | head -1)
  [ -n "$run_dir" ] || { echo "    no run folder written"; status=1; continue; }
  "$py" scripts/golden/digest.py "$run_dir" >"$out/$s.json"
  echo "    run + digest: $(( $(date +%s) - start )) s"
  if [ "$mode" = record ]; then
    mkdir -p tests/golden
    cp "$out/$s.json" "tests/golden/$s.json"
    echo "    recorded tests/golden/$s.json ($(grep -c '":' "$out/$s.json") files)"
  else
    "$py" - "tests/golden/$s.json" "$out/$s.json" <<'PY' || status=1
import json, sys
want, got = (json.load(open(p)) for p in sys.argv[1:3])
missing = sorted(set(want) - set(got))
extra = sorted(set(got) - set(want))
changed = sorted(k for k in set(want) & set(got) if want[k] != got[k])
for label, keys in (("missing", missing), ("new", extra), ("changed", changed)):
    for k in keys[:20]:
        print(f"    {label}: {k}")
    if len(keys) > 20:
        print(f"    … and {len(keys) - 20} more {label}")
print(f"    {len(want)} files recorded, {len(got)} written: "
      f"{len(missing)} missing, {len(extra)} new, {len(changed)} changed")
sys.exit(1 if missing or extra or changed else 0)
PY
  fi
done
exit $status
