# fengkong: the everyday commands. Needs only python3 (3.11+) and make.
#   make demo    run the demo server with demo data (PORT=8000, ARGS=--reset)
#   make test    the test suite (FENGKONG_TEST_DATABASE_URL picks PostgreSQL; PYTEST_ARGS=...)
#   make bench   every benchmark under benchmarks/ (BENCH_ARGS="--size 500")
#   make lint    ruff and mypy
#   make clean   remove the virtualenv, caches and build output (demo data in var/ stays)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PORT ?= 8000
ARGS ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=

# Benchmark modules: benchmarks/*.py except the package file and helpers (names starting "_").
BENCHMARKS := $(sort $(basename $(notdir $(filter-out benchmarks/_%,$(wildcard benchmarks/*.py)))))

.PHONY: setup demo test bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fengkong needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

demo: setup
	$(BIN)/fengkong demo --port $(PORT) $(ARGS)

test: setup
	$(BIN)/python -m pytest -q tests $(PYTEST_ARGS)

bench: setup
	@test -n "$(BENCHMARKS)" || { echo "no benchmark modules under benchmarks/" >&2; exit 1; }
	@set -e; for name in $(BENCHMARKS); do \
		echo "== benchmarks.$$name"; \
		$(BIN)/python -m benchmarks.$$name $(BENCH_ARGS); \
	done

lint: setup
	$(BIN)/ruff check fengkong tests benchmarks
	$(BIN)/mypy
	$(BIN)/mypy -p benchmarks --follow-imports=silent

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
