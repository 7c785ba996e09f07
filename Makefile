# bridgework: every target sets itself up in .venv; re-running skips the install when
# pyproject.toml has not changed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BW := $(VENV)/bin/bridgework
STAMP := $(VENV)/.installed

# Offline by design: models load from the installed package, litellm uses its bundled cost map.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test eval bench lint clean

install: $(STAMP)

# torch's CPU build goes in first, so that sentence-transformers does not pull a CUDA build.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing torch (CPU build) ..."
	@$(PY) -m pip install -q --disable-pip-version-check "torch==2.13.0"
	@echo "Installing bridgework and its dependencies ..."
	@$(PY) -m pip install -q --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP)
	@$(BW) demo --workspace demo-workspace

test: $(STAMP)
	@$(PY) -m pytest -q -n 2 --dist loadfile --timeout 600

eval: $(STAMP)
	@$(BW) eval evals/cases --report evals/reports

bench: $(STAMP)
	@$(PY) -m evals.bench

lint: $(STAMP)
	@$(PY) -m mypy mapper executor

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache
