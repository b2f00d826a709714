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

# The audit report of the bundled sample: reports/audit_report.html and reports/figures/.
report: $(STAMP)
	$(BIN)/outcomes report --out reports

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
