# Two commands for a fresh machine with only python3 and make:
#   make book   set up .venv and build the HTML book into _build/html
#   make test   set up both environments and run every test
# While editing smgrad/ or tools/: `make check` (the unit and doctests, well under a minute).
# `make help` lists every target: its line there is the `## ` comment on the target's line.

PYTHON   ?= python3
VENV     := .venv
VENV_NP2 := .venv-np2
PY       := $(VENV)/bin/python
PY_NP2   := $(VENV_NP2)/bin/python
# Each environment is (re)installed only when its requirements or the package metadata change.
STAMP     := $(VENV)/.installed
STAMP_NP2 := $(VENV_NP2)/.installed
# The chapters: outputs committed, compared by nbval. Not exercises/: the learner editions
# have their outputs cleared (make exercises writes them; tests/learner checks them).
NOTEBOOKS  = $(shell find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -not -path '*/_build/*' | sort)
EXERCISES  = $(sort $(wildcard exercises/*.ipynb))
# Run by their own targets (test-browser, test-learner), not by test-unit / test-np2.
PYTEST_OWN_TARGETS := --ignore=tests/browser --ignore=tests/learner
# matplotlib's first import on a machine prints a font-cache notice to stderr, which a
# notebook would store (and nbval compare): build the cache outside any notebook.
MPL_CACHE = $(PY) -c "import matplotlib.pyplot"
# KaTeX typesets the math when the book is built (_ext/katex_math.py): npm installs it
# into .katex/: node runs .katex/katex.min.js during the build, and _config.yml copies
# .katex/html/ (its CSS and fonts, under _static/katex/) into _build/html/.
KATEX_VERSION := 0.16.22
KATEX_STAMP   := .katex/.installed-$(KATEX_VERSION)
# The browser test drives Debian's Chromium with Playwright (never `playwright install`).
CHROMIUM      ?= /usr/bin/chromium
STAMP_BROWSER := $(VENV)/.installed-browser
# axe-core, the accessibility checker the browser test injects into every page, from npm
# like KaTeX: into tests/browser/node_modules/ (git-ignored, as every node_modules/).
AXE_VERSION := 4.14.1
AXE_STAMP   := tests/browser/node_modules/.installed-axe-core-$(AXE_VERSION)
SUDO          := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help book check test test-unit test-np2 test-notebooks test-no-mxnet test-learner \
        test-book test-browser pdf exercises notebooks record-mxnet bench bench-pages clean \
        distclean

help: ## list the targets (this text)
	@echo "usage: make TARGET   (.venv: the book's pinned environment, numpy 1.23.5 and MXNet;"
	@echo "                      .venv-np2: numpy 2.x without MXNet, like Colab)"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z0-9-]*:[^#]*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(STAMP_NP2): requirements-np2.txt pyproject.toml
	test -x $(PY_NP2) || $(PYTHON) -m venv $(VENV_NP2)
	$(PY_NP2) -m pip install --quiet --upgrade pip
	$(PY_NP2) -m pip install --quiet -r requirements-np2.txt
	touch $@

$(KATEX_STAMP):
	command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y npm; }
	rm -rf .katex
	npm install --prefix .katex/npm --no-save --no-package-lock --no-audit --no-fund katex@$(KATEX_VERSION)
	mkdir -p .katex/html/_static/katex
	cp .katex/npm/node_modules/katex/dist/katex.min.js .katex/
	cp -r .katex/npm/node_modules/katex/dist/katex.min.css .katex/npm/node_modules/katex/dist/fonts \
	    .katex/npm/node_modules/katex/LICENSE .katex/html/_static/katex/
	rm -rf .katex/npm
	touch $@

$(AXE_STAMP):
	command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y npm; }
	rm -rf tests/browser/node_modules
	npm install --prefix tests/browser --no-save --no-package-lock --no-audit --no-fund axe-core@$(AXE_VERSION)
	touch $@

$(STAMP_BROWSER): $(STAMP) requirements-browser.txt
	$(PY) -m pip install --quiet -r requirements-browser.txt
	touch $@

# Installed only where it is missing (as root, or with sudo).
$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

book: $(STAMP) $(KATEX_STAMP) ## build the HTML book into _build/html (sets up .venv and KaTeX)
	$(VENV)/bin/jupyter-book build .
	@echo "The book is in _build/html/index.html"

# The edit-test loop: test-unit's tests, stopping at the first failure.
check: $(STAMP) ## the unit, property and doctests in .venv, stop at the first failure (< 1 min)
	$(PY) -m pytest --doctest-modules smgrad tests $(PYTEST_OWN_TARGETS) -x -q

# Every check, in this order; each one fails make on a non-zero exit, pytest's 5 (it
# collected no test) included: nothing here may turn a failure or an empty run into 0.
test: test-unit test-np2 test-notebooks test-no-mxnet test-learner test-book test-browser ## every test below, in order (what .ci/run and CI run)

test-unit: $(STAMP) ## smgrad's unit, property and doctests in .venv (numpy 1.23.5, MXNet)
	$(PY) -m pytest --doctest-modules smgrad tests $(PYTEST_OWN_TARGETS)

test-np2: $(STAMP_NP2) ## the same in .venv-np2 (numpy 2.x; the MXNet tests are deselected)
	$(PY_NP2) -c "import numpy, sys; sys.exit(0 if int(numpy.__version__.split('.')[0]) >= 2 else 'numpy 2.x expected, got ' + numpy.__version__)"
	$(PY_NP2) -m pytest --doctest-modules smgrad tests -m "not mxnet" $(PYTEST_OWN_TARGETS)

test-notebooks: $(STAMP) ## nbval: re-run each chapter, compare its stored outputs (MXNet: live = record)
	$(MPL_CACHE)
	$(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with book/sanitize.cfg $(NOTEBOOKS)

test-no-mxnet: $(STAMP_NP2) ## run each chapter and learner edition in .venv-np2, no MXNet (as on Colab)
	$(PY_NP2) -m tools.run_without_mxnet $(NOTEBOOKS) $(EXERCISES)

test-learner: $(STAMP) ## the learner editions (tests/learner): current, and their feedback right
	$(PY) -m pytest tests/learner -q

test-book: $(STAMP) $(KATEX_STAMP) ## rebuild _build/html from scratch, warnings as errors
	rm -rf _build
	$(VENV)/bin/jupyter-book build -W -n --keep-going .

# Every page of the book that test-book built, in headless Chromium (tests/browser): no
# console error, no request off 127.0.0.1, math typeset, no serious axe violation in light
# or dark mode, nothing clipped; and the PDF made from them. Screenshots in
# _build/screenshots, axe's findings in _build/accessibility.
# --require-book: a missing book fails here (plain `pytest` skips these tests instead).
test-browser: test-book $(STAMP_BROWSER) $(CHROMIUM) $(AXE_STAMP) ## test-book and the PDF, then every page in headless Chromium
	$(PY) -m tools.make_pdf
	$(PY) -m pytest tests/browser --require-book

# Each page printed by Chromium (its math typeset at build time), merged in toc order (no network).
pdf: book $(STAMP_BROWSER) $(CHROMIUM) ## the whole book as one PDF: _build/pdf/book.pdf (and _build/html/book.pdf)
	$(PY) -m tools.make_pdf

exercises: $(STAMP) ## regenerate the learner editions exercises/*.ipynb (and each chapter's link to its own)
	$(PY) -m tools.make_exercises --links
	$(PY) -m tools.make_exercises

notebooks: $(STAMP) ## re-execute each chapter in place (after editing one; then exercises)
	$(MPL_CACHE)
	$(PY) -m tools.execute_notebooks $(NOTEBOOKS)

# The first pass rewrites smgrad/mxnet_records/NAME.json from live MXNet; the second runs
# every chapter against those records (a cell whose output varies fails there).
record-mxnet: $(STAMP) ## re-record each %%mxnet cell's output, then re-execute the chapters on it
	$(MPL_CACHE)
	SMGRAD_RECORD_MXNET=1 $(PY) -m tools.execute_notebooks $(NOTEBOOKS)
	$(PY) -m tools.execute_notebooks $(NOTEBOOKS)

bench: $(STAMP) $(STAMP_NP2) ## the benchmarks against PyTorch, in both environments
	$(PY_NP2) benchmarks/bench_softmax.py
	$(PY) benchmarks/bench_softmax.py

# Bytes, requests and the time until the math shows, per page of the built book, with and
# without a 4x CPU slowdown (a benchmark: the 1.5 MB limit is tested by test-browser).
bench-pages: book $(STAMP_BROWSER) $(CHROMIUM) ## what each page of the book costs to load: _build/bench-pages/pages.md
	$(PY) -m tools.bench_pages

clean: ## remove _build and test caches; keeps .venv, .venv-np2, .katex
	rm -rf _build .pytest_cache .hypothesis
	find . \( -path ./.git -o -path ./$(VENV) -o -path ./$(VENV_NP2) -o -path ./.katex \) -prune \
	    -o -name __pycache__ -type d -prune -exec rm -rf {} +
	@echo "kept .venv, .venv-np2, .katex and tests/browser/node_modules: make distclean removes them"

distclean: clean ## clean, then remove .venv, .venv-np2, .katex, axe-core (make reinstalls them)
	rm -rf $(VENV) $(VENV_NP2) .katex tests/browser/node_modules
