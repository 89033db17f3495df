# The two commands of the README:  `make demo`  and  `make test`.
# Each sets itself up: a virtual environment in .venv, the package with the
# extras it needs, and Graphviz's `dot` program (apt-get) when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: demo test bench docs graphviz

# One stamp per set of extras, redone when pyproject.toml changes.
# torch (the `oracle` extra) is only a test oracle: `make test TEST_EXTRAS=dev` skips it.
TEST_EXTRAS ?= dev,oracle,distributed
$(VENV)/stamp-demo: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@
$(VENV)/stamp-test: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[$(TEST_EXTRAS)]'
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

demo: graphviz $(VENV)/stamp-demo
	$(PY) -m nn.train

test: graphviz $(VENV)/stamp-test
	$(PY) -m pytest -q -p no:cacheprovider

bench: graphviz $(VENV)/stamp-bench
	$(PY) -m benchmarks.run

# Re-run every tutorial (writing docs/tutorials/images/) and redraw the README's picture.
docs: graphviz $(VENV)/stamp-demo
	$(PY) docs/tutorials/run.py
	$(PY) -m viz.circuit --out docs/images/cs231n-circuit.png
