# Two commands for a new user: `make report` and `make test`.
# Each creates .venv on first use and installs the project into it; the
# install is redone only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test lint bench sample clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Until the rendered report lands, "report" validates the bundled sample and
# prints its analysis (how long relief lasts, by joint).
report: $(STAMP)
	$(BIN)/outcomes validate data/sample/followup_long.csv --events data/sample/events.csv
	$(BIN)/outcomes analyze data/sample/followup_long.csv --events data/sample/events.csv --by joint

test: $(STAMP)
	$(BIN)/python -m ruff check src tests benchmarks
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/python -m ruff format --check src tests benchmarks
	$(BIN)/python -m ruff check src tests benchmarks

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f; done

sample: $(STAMP)
	$(BIN)/outcomes sample --out data/sample

clean:
	rm -rf $(VENV) reports .pytest_cache .mypy_cache .ruff_cache
