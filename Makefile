# Sulh: every target bootstraps its own virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: demo test test-fast check lint types imports migrations-check bench browser-deps lock install-runtime clean

# Developers: runtime plus the test, lint, type and lock tools (requirements-dev.lock).
$(STAMP): requirements-dev.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

# A site or a verifier station: the runtime lock alone, into the interpreter or venv at PIP.
PIP ?= python3 -m pip
install-runtime:
	$(PIP) install --require-hashes -r requirements.lock
	$(PIP) install --no-deps .

# Every lock from pyproject.toml alone; the runtime lock constrains the dev lock, which
# constrains the bench and spark locks, so a package has one version in all four.
# Existing pins are kept; to move them: make lock LOCK_FLAGS=--upgrade
# (or LOCK_FLAGS="--upgrade-package django").
LOCK_FLAGS ?=
COMPILE = $(BIN)/uv pip compile --quiet --python-version 3.11 --generate-hashes \
  --custom-compile-command "make lock" $(LOCK_FLAGS) pyproject.toml
lock: $(STAMP)
	$(COMPILE) -o requirements.lock
	$(COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock
	$(COMPILE) --extra bench --extra qr -c requirements-dev.lock -o requirements-bench.lock
	$(COMPILE) --extra spark -c requirements-dev.lock -o requirements-spark.lock

demo: $(STAMP)
	$(BIN)/sulh demo --serve --port $(PORT)

# The whole suite, as CI runs it, in a random order (pytest-randomly) printed here, with its
# time and its ten slowest tests at the end: make test SEED=N repeats one order.
ifndef SEED
SEED := $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
endif
test: $(STAMP) browser-deps
	@echo "test order: make test SEED=$(SEED) (pytest -p randomly --randomly-seed=$(SEED))"
	$(BIN)/pytest -p randomly --randomly-seed=$(SEED) --durations=10

# For the edit-test loop: everything but the end-to-end tests marked slow (about a third
# of the time); run `make test` before pushing.
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow" --durations=10

# From Debian's packages where this machine may install them: Chromium for the browser
# tests, Noto fonts for Arabic in PDFs, poppler-utils to render PDFs back in tests.
browser-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
  command -v softhsm2-util >/dev/null 2>&1 || missing="$$missing softhsm2"; \
	  [ -e /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || missing="$$missing fonts-noto-core"; \
	  [ -z "$$missing" ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || \
	  echo "not installed:$$missing (browser and PDF tests that need them are skipped)"; }

lint: $(STAMP)
	$(BIN)/ruff check sulh tests bench
	$(BIN)/ruff format --check sulh tests bench

types: $(STAMP)
	$(BIN)/mypy sulh

# The layers and the pure cores (import-linter contracts in pyproject.toml).
imports: $(STAMP)
	$(BIN)/lint-imports

migrations-check: $(STAMP)
	$(BIN)/python -m django makemigrations --check --dry-run --settings=sulh.settings

check: lint types imports migrations-check test

bench: $(STAMP)
	$(BIN)/python -m pip install -q --require-hashes -r requirements-bench.lock
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
