# Two commands for a new user: `make report` and `make test`.
# Each creates .venv on first use and installs the project into it, with the
# tested versions of its dependencies (constraints.txt); the install is redone
# when pyproject.toml or constraints.txt changes. `make lock` refreshes
# constraints.txt to the newest versions pyproject.toml allows.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := constraints.txt

.PHONY: report test lint bench sample lock clean

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev,federated]'
	touch $(STAMP)

# The audit report of the bundled sample: reports/audit_report.html and reports/figures/.
report: $(STAMP)
	$(BIN)/outcomes report --out reports

test: $(STAMP)
	$(BIN)/python -m ruff check src tests benchmarks
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/python -m ruff format --check src tests benchmarks
	$(BIN)/python -m ruff check src tests benchmarks

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f; done

sample: $(STAMP)
	$(BIN)/outcomes sample --out data/sample

# Rewrite constraints.txt: install '.[dev]' without it in a throwaway venv, so pip
# resolves the newest versions pyproject.toml allows, and pin what it installed.
# Then run `make test` (which installs them) and commit constraints.txt if it passes.
lock:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install --quiet -e '.[dev,federated]'; \
	{ \
	  echo "# Tested versions of every package that pip install -e '.[dev,federated]' installs (the"; \
	  echo "# project itself excluded); make test and make report install with -c $(LOCK)."; \
	  echo "# Made by make lock: pip install -e '.[dev,federated]' without constraints in a throwaway"; \
	  echo "# venv (the newest versions pyproject.toml allows), then pip freeze"; \
	  echo "# --exclude-editable, sorted. Do not edit by hand: rerun make lock, then make test."; \
	  echo "# $$("$$tmp/venv/bin/python" -c 'import platform as p; print("Python", p.python_version(), "on", p.system(), p.machine())'), $$(date -u +%Y-%m-%d)."; \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable | LC_ALL=C sort -f -t= -k1,1; \
	} > "$$tmp/$(LOCK)"; \
	mv "$$tmp/$(LOCK)" $(LOCK)

clean:
	rm -rf $(VENV) reports .pytest_cache .mypy_cache .ruff_cache
