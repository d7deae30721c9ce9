# Two commands for a fresh machine with only python3 and make:
#   make book   set up .venv and build the HTML book into _build/html
#   make test   set up both environments and run every test
# `make bench` runs the benchmarks (numpy 2.x and the book's numpy 1.23.5).

PYTHON   ?= python3
VENV     := .venv
VENV_NP2 := .venv-np2
PY       := $(VENV)/bin/python
PY_NP2   := $(VENV_NP2)/bin/python
# Each environment is (re)installed only when its requirements or the package metadata change.
STAMP     := $(VENV)/.installed
STAMP_NP2 := $(VENV_NP2)/.installed
NOTEBOOKS  = $(shell find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -not -path '*/_build/*' | sort)
# MathJax 3 is served by the book itself (math renders with no network): npm installs it
# into .mathjax/html/_static/mathjax/, which _config.yml copies into _build/html/.
MATHJAX_VERSION := 3.2.2
MATHJAX_STAMP   := .mathjax/.installed-$(MATHJAX_VERSION)
# The browser test drives Debian's Chromium with Playwright (never `playwright install`).
CHROMIUM      ?= /usr/bin/chromium
STAMP_BROWSER := $(VENV)/.installed-browser
SUDO          := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: book test test-unit test-np2 test-notebooks test-book test-browser bench notebooks clean help

help:
	@echo "make book    build the HTML book into _build/html"
	@echo "make test    run every test (unit, property, numpy 2.x, nbval, book build with -W,"
	@echo "             every page in headless Chromium: make test-browser)"
	@echo "make bench   run the benchmarks against PyTorch"
	@echo "make notebooks  re-execute every notebook in place (after editing one)"

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

$(MATHJAX_STAMP):
	command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y npm; }
	rm -rf .mathjax
	npm install --prefix .mathjax/npm --no-save --no-package-lock --no-audit --no-fund mathjax@$(MATHJAX_VERSION)
	mkdir -p .mathjax/html/_static
	mv .mathjax/npm/node_modules/mathjax/es5 .mathjax/html/_static/mathjax
	cp .mathjax/npm/node_modules/mathjax/LICENSE .mathjax/html/_static/mathjax/
	rm -rf .mathjax/npm
	touch $@

$(STAMP_BROWSER): $(STAMP) requirements-browser.txt
	$(PY) -m pip install --quiet -r requirements-browser.txt
	touch $@

# Installed only where it is missing (as root, or with sudo).
$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

book: $(STAMP) $(MATHJAX_STAMP)
	$(VENV)/bin/jupyter-book build .
	@echo "The book is in _build/html/index.html"

test: test-unit test-np2 test-notebooks test-book test-browser

# pytest exits 5 when it collects no test; make treats that, like any non-zero, as failure.
test-unit: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/browser

test-np2: $(STAMP_NP2)
	$(PY_NP2) -c "import numpy, sys; sys.exit(0 if int(numpy.__version__.split('.')[0]) >= 2 else 'numpy 2.x expected, got ' + numpy.__version__)"
	$(PY_NP2) -m pytest tests -m "not mxnet" --ignore=tests/browser

test-notebooks: $(STAMP)
	@# matplotlib's first import on a machine prints a font-cache notice to stderr, which
	@# nbval would compare: build the cache here, outside any notebook.
	$(PY) -c "import matplotlib.pyplot"
	$(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with book/sanitize.cfg $(NOTEBOOKS)

test-book: $(STAMP) $(MATHJAX_STAMP)
	rm -rf _build
	$(VENV)/bin/jupyter-book build -W -n --keep-going .

# Every page of the book that test-book built, in headless Chromium (tests/browser): no
# console error, no request off 127.0.0.1, math typeset; screenshots in _build/screenshots.
test-browser: test-book $(STAMP_BROWSER) $(CHROMIUM)
	$(PY) -m pytest tests/browser

notebooks: $(STAMP)
	$(PY) book/execute_notebooks.py $(NOTEBOOKS)

bench: $(STAMP) $(STAMP_NP2)
	$(PY_NP2) benchmarks/bench_softmax.py
	$(PY) benchmarks/bench_softmax.py

clean:
	rm -rf _build .pytest_cache .hypothesis
