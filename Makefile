# The two commands of the README: `make demo` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: install demo test test-fast bench stack-up stack-down clean

install: $(VENV)/.installed

# Re-install whenever the pinned dependencies change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: install
	$(VENV)/bin/mumaris demo

test: install
	$(PY) -m pytest -ra

test-fast: install
	$(PY) -m pytest -ra tests/unit

bench: install
	$(PY) -m tests.benchmarks.pipeline

stack-up: install
	$(VENV)/bin/mumaris stack up

stack-down: install
	$(VENV)/bin/mumaris stack down

clean:
	-$(VENV)/bin/mumaris stack down
	rm -rf .mumaris
