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

.PHONY: book test test-unit test-np2 test-notebooks test-book bench notebooks clean help

help:
	@echo "make book    build the HTML book into _build/html"
	@echo "make test    run every test (unit, property, numpy 2.x, nbval, book build with -W)"
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

book: $(STAMP)
	$(VENV)/bin/jupyter-book build .
	@echo "The book is in _build/html/index.html"

test: test-unit test-np2 test-notebooks test-book

# pytest exits 5 when it collects no test; make treats that, like any non-zero, as failure.
test-unit: $(STAMP)
	$(PY) -m pytest tests

test-np2: $(STAMP_NP2)
	$(PY_NP2) -c "import numpy, sys; sys.exit(0 if int(numpy.__version__.split('.')[0]) >= 2 else 'numpy 2.x expected, got ' + numpy.__version__)"
	$(PY_NP2) -m pytest tests -m "not mxnet"

test-notebooks: $(STAMP)
	$(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with book/sanitize.cfg -p no:randomly $(NOTEBOOKS)

test-book: $(STAMP)
	rm -rf _build
	$(VENV)/bin/jupyter-book build -W -n --keep-going .

notebooks: $(STAMP)
	$(PY) book/execute_notebooks.py $(NOTEBOOKS)

bench: $(STAMP) $(STAMP_NP2)
	$(PY_NP2) benchmarks/bench_softmax.py
	$(PY) benchmarks/bench_softmax.py

clean:
	rm -rf _build .pytest_cache .hypothesis
