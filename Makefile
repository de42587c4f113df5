# Two commands: `make run` (set up and open the explorer) and `make test` (set up, run every test
# and the linters).  Both work with no terminal input (no prompt anywhere).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# what the app needs (requirements.txt, the package editable); the test tools on top of it
APP_STAMP  := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint setup browser bench clean

$(APP_STAMP): pyproject.toml setup.py requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(TEST_STAMP): $(APP_STAMP) requirements-test.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

setup: $(APP_STAMP)

# Streamlit runs headless (no first-run e-mail prompt); fsm-explorer app prints the local URL and
# opens a browser itself where there is one.  Streamlit options pass through: make run ARGS=...
run: setup
	$(VENV)/bin/fsm-explorer app $(ARGS)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

# The linters, one line each (config in pyproject.toml; mypy checks fsm_engine).
lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: $(TEST_STAMP) browser lint
	$(PY) -m pytest -q

bench: setup
	$(PY) bench/engine.py
	$(PY) bench/readout.py
	$(PY) bench/lstm.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts build
