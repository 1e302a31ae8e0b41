# Sulh: every target bootstraps its own virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: demo test test-fast check lint types migrations-check bench browser-deps clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sulh demo --serve --port $(PORT)

# The whole suite, as CI runs it, with its time and its ten slowest tests at the end.
test: $(STAMP) browser-deps
	$(BIN)/pytest --durations=10

# For the edit-test loop: everything but the end-to-end tests marked slow (about a third
# of the time); run `make test` before pushing.
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow" --durations=10

# From Debian's packages where this machine may install them: Chromium for the browser
# tests, Noto fonts for Arabic in PDFs, poppler-utils to render PDFs back in tests.
browser-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	  [ -e /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || missing="$$missing fonts-noto-core"; \
	  [ -z "$$missing" ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || \
	  echo "not installed:$$missing (browser and PDF tests that need them are skipped)"; }

lint: $(STAMP)
	$(BIN)/ruff check sulh tests bench
	$(BIN)/ruff format --check sulh tests bench

types: $(STAMP)
	$(BIN)/mypy sulh

migrations-check: $(STAMP)
	$(BIN)/python -m django makemigrations --check --dry-run --settings=sulh.settings

check: lint types migrations-check test

bench: $(STAMP)
	$(BIN)/python -m pip install -q --require-hashes -r requirements-bench.lock
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
