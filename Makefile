# The two commands of README.md:
#   make run   -- create .venv, install, run the full default chain (snakemake --cores $(CORES))
#   make test  -- create .venv, install, lint + dry-run the workflow, run the test suite
PYTHON ?= python3
VENV ?= .venv
CORES ?= 2
# pip extras; add htcondor for --workflow-profile workflow/profiles/htcondor (make install EXTRAS=workflow,test,htcondor)
EXTRAS ?= workflow,test
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint dryrun report benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --workflow-profile workflow/profiles/default

lint: $(STAMP)
	$(BIN)/snakemake --lint
	$(BIN)/ruff check src
	$(BIN)/mypy

dryrun: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --dry-run --quiet rules

test: $(STAMP) lint dryrun
	$(BIN)/python -m pytest -m "not slow"

report: $(STAMP)
	$(BIN)/snakemake --report results/report.html

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf results .snakemake
