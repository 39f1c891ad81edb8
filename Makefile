# The two commands of the README: `make demo` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

# Debian packages, installed once when missing: OCR with Arabic and English (validator: the language
# data for tesserocr, whose wheel brings the engine; the `tesseract` program for the OCR tests and
# benchmarks), a TrueType face with Arabic letters (the generated certificates of the OCR tests and
# benchmarks), the browser the console's and the portal's end-to-end tests drive (Playwright cannot
# download its own here), kcat, and npm (axe-core, which the portal's tests run in that browser).
# npm only when the machine has none: a Node installed from NodeSource brings its own npm, and
# Debian's `npm` package conflicts with that `nodejs` (apt then refuses the whole list).
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-ara tesseract-ocr-eng fonts-dejavu-core chromium kcat \
                   $(if $(shell command -v npm),,npm)

.PHONY: install system-deps lint demo up test test-fast bench stack-up stack-down clean

install: system-deps $(VENV)/.installed node_modules/.installed
	@$(VENV)/bin/mumaris stack build

system-deps:
	@if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx ara \
	    || ! [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] \
	    || ! command -v chromium >/dev/null || ! command -v kcat >/dev/null || ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "missing system packages: sudo apt-get install -y $(SYSTEM_PACKAGES)"; exit 1; \
	  fi; \
	fi

# Re-install whenever the pinned dependencies change. `install` then builds the embedded database
# server once (secantusd-rs from crates.io, ~5 min on 2 cores, cached per version outside the
# checkout; a no-op check after that).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# The browser-side test tools, exactly as package-lock.json pins them (axe-core), in ./node_modules.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

demo: install
	$(VENV)/bin/mumaris demo

# Everything running for a person to try in a browser (the portal, the console); Ctrl-C stops it.
up: install
	$(VENV)/bin/mumaris up

# Lint, format and types first: a finding fails the run before any server starts.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m mypy

test: install lint
	$(PY) -m pytest -ra

test-fast: install
	$(PY) -m pytest -ra tests/unit

bench: install
	$(PY) -m tests.benchmarks

stack-up: install
	$(VENV)/bin/mumaris stack up

stack-down: install
	$(VENV)/bin/mumaris stack down

clean:
	-$(VENV)/bin/mumaris stack down
	rm -rf .mumaris
