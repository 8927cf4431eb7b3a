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
CARGO     ?= cargo
# The profile `make suite` builds with (see Cargo.toml: our code optimised,
# dependencies lightly, so a first build stays short).
PROFILE   ?= suite
ARGS      ?=

# Where the ONNX Runtime library of the wheel lands (resolved after install).
ORT_LIB = $(firstword $(wildcard $(ORT_VENV)/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.*))
RUN_ENV = ORT_DYLIB_PATH="$(ORT_LIB)"

.PHONY: help setup setup-ort setup-chromium build suite test lint fmt bench models clean-results

help:
	@echo "make suite NAME=cardiac   run a suite (suites/NAME.yaml) and print the report path"
	@echo "make test                 build and run every test (ONNX, native plugin, Chromium included)"
	@echo "make setup                install ONNX Runtime (PyPI wheel) into .tools/ and Chromium (Debian)"
	@echo "make lint                 cargo fmt --check and clippy -D warnings"
	@echo "make bench                criterion benchmarks (perturbations, metrics, harness overhead)"
	@echo "make models               re-train the reference models (installs torch into .tools/train)"

setup: setup-ort setup-chromium

setup-ort: $(ORT_STAMP)

$(ORT_STAMP):
	@echo "==> installing ONNX Runtime 1.31.1 from PyPI into $(ORT_VENV)"
	rm -rf "$(ORT_VENV)"
	$(PYTHON) -m venv "$(ORT_VENV)"
	"$(ORT_VENV)/bin/pip" install --quiet --disable-pip-version-check "onnxruntime==1.31.1"
	@ls "$(ORT_VENV)"/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.* >/dev/null
	touch "$@"

# Headless Chromium renders the HTML report in a test.
setup-chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "==> installing Debian's chromium (headless report test)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

build: setup-ort
	$(CARGO) build --workspace

suite: setup-ort
	$(CARGO) build --profile $(PROFILE) -p sensibench-cli -p sensibench-classical-seg
	$(RUN_ENV) SENSIBENCH_PLUGIN_PATH="$(CURDIR)/target/$(PROFILE)" \
	  "$(CURDIR)/target/$(PROFILE)/sensibench" run "suites/$(NAME).yaml" $(ARGS)

# The plugin cdylib must exist before the tests that load it: build the whole
# workspace first, then test it.
test: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) build --workspace --all-targets
	$(RUN_ENV) SENSIBENCH_PLUGIN_PATH="$(CURDIR)/target/debug" $(CARGO) test --workspace

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

bench: setup-ort
	$(RUN_ENV) $(CARGO) bench --workspace $(ARGS)

models:
	$(PYTHON) -m venv "$(TRAIN_VENV)"
	"$(TRAIN_VENV)/bin/pip" install --quiet -r plugins/models/cardiac/requirements.txt
	PYTHON="$(TRAIN_VENV)/bin/python" bash plugins/models/cardiac/make_models.sh

clean-results:
	rm -rf results/*/
