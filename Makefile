# The README's two commands are `make demo` and `make test`; both bootstrap .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# sam build needs the Lambda runtime's Python (3.12) on PATH; pyenv keeps it off PATH by default.
PY312_PREFIX := $(shell pyenv prefix 3.12 2>/dev/null || dirname $$(dirname $$(command -v python3.12 2>/dev/null)) 2>/dev/null)
SAM_VENV := .venv-sam
# checkov pins boto3 1.35, which conflicts with ours: it lives in its own venv, every package pinned.
CHECKOV_VENV := .venv-checkov
CHECKOV_REQUIREMENTS := tests/audit/checkov-requirements.txt
# aws-sam-translator pins a pydantic that conflicts with ours: its own venv too, every package pinned.
SAMTRANSLATOR_VENV := .venv-samtranslator
SAMTRANSLATOR_REQUIREMENTS := tests/audit/samtranslator-requirements.txt

NODE_STAMP := node_modules/.installed

.PHONY: demo test lint typecheck template-lint checkov samtranslator unit integration e2e build runtime-check bench clean audit

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mgn-wave demo

# Two workers, one per core: each test runs in one interpreter, and the emulation is GIL-bound.
# --dist loadfile keeps a file's tests (and its module fixtures) in one worker.
test: $(STAMP) lint typecheck template-lint checkov samtranslator
	MGN_WAVE_SAMTRANSLATOR_PYTHON=$(SAMTRANSLATOR_VENV)/bin/python $(BIN)/pytest -q -n 2 --dist loadfile

# Least privilege measured per role, faults, secrets (tests/audit; the figures print to the terminal).
audit: $(STAMP)
	$(BIN)/pytest -q -p no:logging -s tests/audit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# asl-validator (npm) knows the current ASL, Distributed Map's ItemReader/ItemProcessor included.
$(NODE_STAMP): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $(NODE_STAMP)

template-lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/cfn-lint template.yaml install-document.yaml
	for definition in statemachine/*.asl.json; do node_modules/.bin/asl-validator --json-path "$$definition" || exit 1; done

$(CHECKOV_VENV)/.installed: $(CHECKOV_REQUIREMENTS)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet -r $(CHECKOV_REQUIREMENTS)
	touch $@

$(SAMTRANSLATOR_VENV)/.installed: $(SAMTRANSLATOR_REQUIREMENTS)
	$(PYTHON) -m venv $(SAMTRANSLATOR_VENV)
	$(SAMTRANSLATOR_VENV)/bin/pip install --quiet --upgrade pip
	$(SAMTRANSLATOR_VENV)/bin/pip install --quiet -r $(SAMTRANSLATOR_REQUIREMENTS)
	touch $@

# The venv the least-privilege test reads SAM's policy templates from (make test sets
# MGN_WAVE_SAMTRANSLATOR_PYTHON, so there the test runs instead of skipping).
samtranslator: $(SAMTRANSLATOR_VENV)/.installed

# Every failed check is fixed or skipped with its reason: in .checkov.yaml (the config file names
# both templates) the checks whose reason holds for every resource of their type, in a resource's
# Metadata the others. So any other failure fails the build. No network: skip-download (Prisma
# Cloud) and no PyPI update check. A template checkov cannot read would scan 0 checks and pass,
# hence the check on the summary line.
checkov: $(CHECKOV_VENV)/.installed
	set -o pipefail; CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml \
		| tee $(CHECKOV_VENV)/last-scan.txt
	@grep -Eq '^Passed checks: [1-9][0-9]*, Failed checks: 0, Skipped checks: [0-9]+$$' $(CHECKOV_VENV)/last-scan.txt \
		|| { echo "checkov: no clean summary line in the scan above"; exit 1; }

# The Lambda code must import and pass its unit tests on the runtime's Python too.
runtime-check:
	@test -n "$(PY312_PREFIX)" || { echo "python 3.12 not found (pyenv install 3.12 or put python3.12 on PATH)"; exit 1; }
	$(PY312_PREFIX)/bin/python3 -m venv .venv-312
	.venv-312/bin/pip install --quiet -e '.[dev]'
	.venv-312/bin/pytest -q tests/unit

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==1.170.0
	touch $@

build: $(SAM_VENV)/.installed
	@test -n "$(PY312_PREFIX)" || { echo "python 3.12 not found (pyenv install 3.12 or put python3.12 on PATH)"; exit 1; }
	PATH="$(PY312_PREFIX)/bin:$$PATH" $(SAM_VENV)/bin/sam build --template-file template.yaml

# Measurements on the emulated AWS (about 10 minutes); writes BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(SAMTRANSLATOR_VENV) .venv-312 .aws-sam .pytest_cache .mypy_cache .ruff_cache demo-output node_modules
