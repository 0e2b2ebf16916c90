# The two commands of README.md:
#   make run   -- create .venv, install, run the full default chain (snakemake --cores $(CORES))
#   make test  -- create .venv, install, lint + dry-run the workflow, run the test suite
PYTHON ?= python3
VENV ?= .venv
CORES ?= 2
# pip extras; add htcondor for --workflow-profile workflow/profiles/htcondor (make install EXTRAS=workflow,test,htcondor)
EXTRAS ?= workflow,test
# Another config on top of config/config.yaml (make run CONFIG=config/ewkino.yaml). Each run writes under
# results/<run_name>/ (config key results_dir overrides it); RUN is the run_name of CONFIG, read from its
# top-level `run_name:` line (demo without CONFIG).
CONFIG ?=
RUN ?= $(or $(if $(CONFIG),$(shell sed -n 's/^run_name:[[:space:]]*\([A-Za-z0-9_.-]*\).*/\1/p' $(CONFIG))),demo)
CONFIGFILE := $(if $(CONFIG),--configfile $(CONFIG))
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint dryrun report benchmark clean clean-all

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --workflow-profile workflow/profiles/default $(CONFIGFILE)

lint: $(STAMP)
	$(BIN)/snakemake --lint
	$(BIN)/ruff check src
	$(BIN)/mypy

dryrun: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --dry-run --quiet rules

test: $(STAMP) lint dryrun
	$(BIN)/python -m pytest -m "not slow"

report: $(STAMP)
	$(BIN)/snakemake $(CONFIGFILE) --report results/$(RUN)/report.html

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# one run's outputs, logs and benchmarks (make clean CONFIG=config/ewkino.yaml); clean-all: every run
clean:
	rm -rf results/$(RUN)

clean-all:
	rm -rf results logs benchmarks/runs .snakemake
