# The two commands of the README:  `make demo`  and  `make test`.
# Each sets itself up: a virtual environment in .venv, the package with the
# extras it needs, and Graphviz's `dot` program (apt-get) when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: demo test test-fast doctest bench docs graphviz chromium lint fix-style

# One stamp per set of extras, redone when pyproject.toml changes.
# torch (the `oracle` extra) is only a test oracle: `make test TEST_EXTRAS=dev` skips it.
TEST_EXTRAS ?= dev,oracle,distributed,jupyter,browser
$(VENV)/stamp-demo: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@
$(VENV)/stamp-test: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[$(TEST_EXTRAS)]'
	@touch $@
$(VENV)/stamp-docs: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev,jupyter,browser]'
	@touch $@
$(VENV)/stamp-bench: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev,oracle,bench,distributed]'
	@touch $@

graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "Graphviz 'dot' not found: installing it with apt-get"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq graphviz >/dev/null; }

# Headless Chromium drives viz.explore's page in the tests and takes the README's screenshot.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "chromium not found: installing it with apt-get (for the explore page's browser test)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

demo: graphviz $(VENV)/stamp-demo
	$(PY) -m nn.train

# The suite runs on every core (pytest-xdist); tests marked `serial` (they measure time or
# memory) run afterwards on their own. Exit status 5 means "no test selected": not a failure.
# Python's bytecode cache on even where the environment turns it off (PYTHONDONTWRITEBYTECODE): each worker
# and each command a test runs (python -m nn.train, python -m viz) would compile every module again (~1 s each).
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -q -p no:cacheprovider
test: graphviz chromium $(VENV)/stamp-test
	$(PYTEST) -n auto --dist worksteal -m "not serial"
	$(PYTEST) -m serial || [ $$? -eq 5 ]

# The inner loop: everything but the tests marked slow (under a minute on 2 cores).
test-fast: graphviz chromium $(VENV)/stamp-test
	$(PYTEST) -n auto --dist worksteal -m "not slow and not serial"

# Every >>> example in autograd_core, nn and viz, run as a doctest (in a temporary folder).
doctest: graphviz $(VENV)/stamp-test
	$(PYTEST) --doctest-modules autograd_core nn viz

# Style and types: what CI checks besides the tests (ruff and mypy come with the dev extra).
lint: $(VENV)/stamp-demo
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Rewrite the tree into the house style (ruff's safe fixes + the formatter); list what needs a hand.
fix-style: $(VENV)/stamp-demo
	RUFF=$(VENV)/bin/ruff tools/fix_style.sh

bench: graphviz $(VENV)/stamp-bench
	$(PY) -m benchmarks.run

# Re-run every tutorial (writing docs/tutorials/images/), redraw the README's pictures (the
# circuit, the big MLP, the explore page and its screenshot) and re-run the quickstart notebook
# so it ships with its outputs.
docs: graphviz chromium $(VENV)/stamp-docs
	$(PY) docs/tutorials/run.py
	$(PY) -m viz.circuit --out docs/images/cs231n-circuit.png
	$(PY) docs/images/build.py
	$(PY) docs/notebooks/build.py
