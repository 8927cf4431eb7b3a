# sensibench — the two commands of the README:
#   make suite NAME=cardiac   build, install what is needed, run suites/$(NAME).yaml, print the report path
#   make test                 build and run every test, every backend included
# Everything installed goes into .tools/ (git-ignored); nothing is downloaded
# from outside the package registries (PyPI, Debian, crates.io).

SHELL := /bin/bash
.DEFAULT_GOAL := help

NAME      ?= cardiac
PYTHON    ?= python3
TOOLS     := $(CURDIR)/.tools
ORT_VENV  := $(TOOLS)/ort
ORT_STAMP := $(ORT_VENV)/.installed-1.31.1
TRAIN_VENV := $(TOOLS)/train
# libtorch for the TorchScript backend (tch 0.26 needs PyTorch 2.13.0): the
# `torch` wheel from PyPI, only its files (no `import torch`: the CUDA
# libraries it would pull are not needed on the CPU). ~1.3 GB, < 1 min.
TORCH_VENV  := $(TOOLS)/torch
TORCH_STAMP := $(TORCH_VENV)/.installed-2.13.0
export LIBTORCH := $(TORCH_VENV)/site/torch
CARGO     ?= cargo
# The profile `make suite` builds with (see Cargo.toml: our code optimised,
# dependencies lightly, so a first build stays short).
PROFILE   ?= suite
ARGS      ?=

# Where the ONNX Runtime library of the wheel lands (resolved after install).
ORT_LIB = $(firstword $(wildcard $(ORT_VENV)/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.*))
RUN_ENV = ORT_DYLIB_PATH="$(ORT_LIB)"

.PHONY: help setup setup-ort setup-torch setup-chromium build suite test lint fmt bench bench-artefacts bench-tch models clean-results nightly baseline bench-baseline bench-quick golden-check golden-record structure

help:
	@echo "make suite NAME=cardiac   run a suite (suites/NAME.yaml) and print the report path"
	@echo "make test                 build and run every test (ONNX, native plugin, Chromium included)"
	@echo "make setup                install ONNX Runtime and libtorch (PyPI wheels) into .tools/, Chromium (Debian)"
	@echo "make lint                 cargo fmt --check and clippy -D warnings"
	@echo "make bench                criterion benchmarks (perturbations, metrics, harness overhead)"
	@echo "make models               re-train the reference models and pretraining sources (torch into .tools/train)"
	@echo "make bench-tch            TorchScript backend vs PyTorch: training step and inference batch, side by side"
	@echo "make bench-artefacts      MR artefacts vs TorchIO 1.2.1, side by side in one run (figure in docs/)"
	@echo "make nightly              every suite vs its baseline in results/baselines/, benches vs bench.json; fails on a regression"
	@echo "make baseline NAME=x      run suites/x.yaml and save its baseline (results/baselines/x/)"
	@echo "make bench-baseline       run the quick criterion benches and save them as results/baselines/bench.json"
	@echo "make golden-check         run every suite and compare its run folder with tests/golden/ (a refactor changes no output)"
	@echo "make structure            no import circles between the files of a crate; no function > 150 lines, no file > 1,000"

setup: setup-ort setup-torch setup-chromium

setup-ort: $(ORT_STAMP)

$(ORT_STAMP):
	@echo "==> installing ONNX Runtime 1.31.1 from PyPI into $(ORT_VENV)"
	rm -rf "$(ORT_VENV)"
	$(PYTHON) -m venv "$(ORT_VENV)"
	"$(ORT_VENV)/bin/pip" install --quiet --disable-pip-version-check "onnxruntime==1.31.1"
	@ls "$(ORT_VENV)"/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.* >/dev/null
	touch "$@"

setup-torch: $(TORCH_STAMP)

# The wheel's libtorch_cpu.so needs libcudart/libcupti even on the CPU (it is
# one build for both): hence the two small nvidia wheels, nothing else.
$(TORCH_STAMP):
	@echo "==> installing libtorch 2.13.0 (the torch wheel from PyPI) into $(TORCH_VENV)"
	rm -rf "$(TORCH_VENV)"
	$(PYTHON) -m venv "$(TORCH_VENV)"
	"$(TORCH_VENV)/bin/pip" install --quiet --disable-pip-version-check --no-deps --target "$(TORCH_VENV)/site" \
	  "torch==2.13.0" "nvidia-cuda-runtime==13.0.96" "nvidia-cuda-cupti==13.0.85"
	@test -f "$(LIBTORCH)/lib/libtorch_cpu.so" || { echo "libtorch not found under $(LIBTORCH)"; exit 1; }
	touch "$@"

# Headless Chromium renders the HTML report in a test.
setup-chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "==> installing Debian's chromium (headless report test)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

build: setup-ort setup-torch
	$(CARGO) build --workspace --features sensibench-cli/torch

suite: setup-ort setup-torch
	$(CARGO) build --profile $(PROFILE) -p sensibench-cli -p sensibench-classical-seg --features sensibench-cli/torch
	$(RUN_ENV) SENSIBENCH_PLUGIN_PATH="$(CURDIR)/target/$(PROFILE)" \
	  "$(CURDIR)/target/$(PROFILE)/sensibench" run "suites/$(NAME).yaml" $(ARGS)

# The plugin cdylib must exist before the tests that load it: build the whole
# workspace first, then test it.
test: setup
	$(CARGO) fmt --all -- --check
	$(MAKE) --no-print-directory structure
	$(CARGO) build --workspace --all-targets --all-features
	$(RUN_ENV) SENSIBENCH_PLUGIN_PATH="$(CURDIR)/target/debug" $(CARGO) test --workspace --all-features

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

fmt:
	$(CARGO) fmt --all

bench: setup-ort setup-torch
	$(RUN_ENV) $(CARGO) bench --workspace --all-features $(ARGS)

# The regression benchmark. The suites' runs are compared with their committed
# baselines (results/baselines/<suite>/, made by `make baseline NAME=...`),
# the criterion benches of the perturbations and metrics with
# results/baselines/bench.json (made by `make bench-baseline`); the report goes
# to results/nightly/<UTC time>/index.html. Exits non-zero on a regression.
NIGHTLY_SUITES ?=
BENCH_MAX_RATIO ?= 1.5
# criterion's output for the nightly comparison, apart from `make bench`'s
CRITERION_NIGHTLY := $(CURDIR)/target/criterion-nightly
BENCH_QUICK := --warm-up-time 1 --measurement-time 2 --noplot
SENSIBENCH_BIN = $(CURDIR)/target/$(PROFILE)/sensibench
SUITE_ENV = $(RUN_ENV) SENSIBENCH_PLUGIN_PATH="$(CURDIR)/target/$(PROFILE)"

bench-quick:
	rm -rf "$(CRITERION_NIGHTLY)"
	CRITERION_HOME="$(CRITERION_NIGHTLY)" $(CARGO) bench -p sensibench-perturb -p sensibench-metrics \
	  --bench perturb --bench metrics -- $(BENCH_QUICK)

nightly: setup-ort setup-torch
	$(CARGO) build --profile $(PROFILE) -p sensibench-cli -p sensibench-classical-seg --features sensibench-cli/torch
	$(MAKE) --no-print-directory bench-quick
	$(SUITE_ENV) "$(SENSIBENCH_BIN)" nightly $(NIGHTLY_SUITES) --criterion "$(CRITERION_NIGHTLY)" --quiet $(ARGS)

baseline: setup-ort setup-torch
	$(CARGO) build --profile $(PROFILE) -p sensibench-cli -p sensibench-classical-seg --features sensibench-cli/torch
	$(SUITE_ENV) "$(SENSIBENCH_BIN)" baseline "suites/$(NAME).yaml" --quiet $(ARGS)

bench-baseline:
	$(CARGO) build --profile $(PROFILE) -p sensibench-cli
	$(MAKE) --no-print-directory bench-quick
	"$(SENSIBENCH_BIN)" bench-baseline --criterion "$(CRITERION_NIGHTLY)" --max-ratio $(BENCH_MAX_RATIO)

# MR artefacts side by side with TorchIO 1.2.1 (MONAI for Rician noise), one
# run: figure docs/mr-artefacts-speed.svg, numbers docs/mr-artefacts-speed.json
bench-artefacts:
	$(PYTHON) -m venv "$(TRAIN_VENV)"
	"$(TRAIN_VENV)/bin/pip" install --quiet -r harness/perturb/bench/requirements.txt
	$(CARGO) build --release -p sensibench-perturb --example mr_bench
	"$(TRAIN_VENV)/bin/python" harness/perturb/bench/torchio_speed.py \
	  --rust-bin "$${CARGO_TARGET_DIR:-target}/release/examples/mr_bench" $(ARGS)

# needs the training venv of `make models` for the PyTorch side
bench-tch: setup-ort setup-torch
	$(RUN_ENV) $(CARGO) bench -p sensibench-backends-tch --bench tch_vs_pytorch

models:
	$(PYTHON) -m venv "$(TRAIN_VENV)"
	"$(TRAIN_VENV)/bin/pip" install --quiet -r plugins/models/cardiac/requirements.txt \
	  -r plugins/models/muscle/requirements.txt -r plugins/models/classifiers/requirements.txt
	PYTHON="$(TRAIN_VENV)/bin/python" bash plugins/models/cardiac/make_models.sh
	PYTHON="$(TRAIN_VENV)/bin/python" ORT_PYTHON="$(ORT_VENV)/bin/python" \
	  sh plugins/models/muscle/make_sources.sh
	PYTHON="$(TRAIN_VENV)/bin/python" ORT_PYTHON="$(ORT_VENV)/bin/python" \
	  sh plugins/models/classifiers/make_classifiers.sh
	PYTHON="$(TRAIN_VENV)/bin/python" sh plugins/models/slice/make_slice_model.sh

# The before/after check of a refactor: every committed suite is run with the
# debug build exactly as `make test` builds it (the native plugin's file hash is
# in the rows) and each file of its run folder is
# compared with the digests in tests/golden/ (recorded by the code before the
# change with `make golden-record`). pyarrow reads the parquet parts.
GOLDEN_VENV := $(TOOLS)/golden
GOLDEN_STAMP := $(GOLDEN_VENV)/.installed-26.0.1
GOLDEN_SUITES ?=

$(GOLDEN_STAMP):
	$(PYTHON) -m venv "$(GOLDEN_VENV)"
	"$(GOLDEN_VENV)/bin/pip" install --quiet --disable-pip-version-check "pyarrow==26.0.1"
	touch "$@"

golden-check golden-record: setup-ort setup-torch $(GOLDEN_STAMP)
	$(CARGO) build --workspace --all-targets --all-features
	$(RUN_ENV) SENSIBENCH_PLUGIN_PATH="$(CURDIR)/target/debug" SENSIBENCH_BIN="$(CURDIR)/target/debug/sensibench" \
	  GOLDEN_PYTHON="$(GOLDEN_VENV)/bin/python" bash scripts/golden/check.sh $(patsubst golden-%,%,$@) $(GOLDEN_SUITES)

# The structure rules of docs/architecture.md.
structure:
	@if [ -f ../shared/tools/module_cycles.py ]; then $(PYTHON) ../shared/tools/module_cycles.py .; \
	  else echo "(../shared/tools/module_cycles.py not beside this checkout: import circles not checked)"; fi
	$(PYTHON) scripts/check_sizes.py .

clean-results:
	rm -rf results/*/
