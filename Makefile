# Two commands: `make run` (set up and open the explorer) and `make test` (set up and run every test).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup browser bench clean

$(STAMP): pyproject.toml requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/streamlit run streamlit_app.py --server.headless false

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

test: setup browser
	$(PY) -m pytest -q

bench: setup
	$(PY) bench/engine.py
	$(PY) bench/readout.py
	$(PY) bench/lstm.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
