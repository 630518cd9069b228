# Two commands for users: `make book` and `make test` (README.md). Both create .venv when
# it is missing and install the pinned packages first.
PROFILE ?= cpu
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: book test lint format unit gpu-check smoke nbval site browser clean-results

$(STAMP): pyproject.toml requirements-nodeps.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

## make book [PROFILE=cpu|smoke|full]: run every notebook on the profile, then build the site
book: $(STAMP)
	$(BIN)/cam-repro run --profile $(PROFILE)
	$(BIN)/jupyter-book build book/
	@echo "Site: book/_build/html/index.html"

## make test: lint, unit tests, gpu-check (on CPU here), the smoke profile end to end, nbval,
## the site, a real browser
test: lint unit gpu-check smoke nbval site browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: $(STAMP)
	$(BIN)/pytest -m "not browser" tests

## make gpu-check: the full code path (paper network, train, kill and resume, evaluate) on a
## generated miniature ILSVRC tree; results/gpu-check/summary.csv. On a CUDA machine at 224 px
## (two ranks with two GPUs), at most about five minutes; without CUDA on CPU at a tiny size.
gpu-check: $(STAMP)
	$(BIN)/python benchmarks/gpu_check.py

smoke: $(STAMP)
	$(BIN)/cam-repro run --profile smoke

nbval: $(STAMP)
	$(BIN)/pytest --nbval-lax --nbval-current-env -p no:cacheprovider results/smoke/notebooks

site: $(STAMP)
	$(BIN)/jupyter-book build -W -n --keep-going book/

browser: $(STAMP)
	$(BIN)/pytest -m browser tests

## make bench: speed and memory of cam_core's CAMs against the forward pass, torchcam and
## pytorch-grad-cam (benchmarks/bench_cam.py; results/bench/ and the book's Performance page).
## Several minutes on 2 cores; never part of `make test` (timings are not tests). The peers
## come from the `bench` extra, pinned so that torch and torchvision stay as they are.
## BENCH_THREADS: torch threads. 1 by default: on a 2-core machine shared with other jobs, two
## OpenMP threads mostly wait for each other (3-5x slower and far noisier, measured here);
## `make bench BENCH_THREADS=2` on an idle machine.
BENCH_THREADS ?= 1
BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

.PHONY: bench
bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench_cam.py --out results/bench --threads $(BENCH_THREADS)

clean-results:
	rm -rf results book/_build book/generated
