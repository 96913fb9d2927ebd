# provsim — two commands on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint serve bench wheel goldens clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,lint]'
	touch $(STAMP)

## The main job: a provisioning story end to end on the embedded demo tenant (no server, no credentials).
run: install
	$(VENV)/bin/provsim demo

## The whole test suite.
test: install
	$(VENV)/bin/pytest

## Lint and type checks (ruff over simulator/, tests/, benchmarks/; mypy over simulator/, strict for core and engine).
lint: install
	$(VENV)/bin/ruff check simulator tests benchmarks
	$(VENV)/bin/mypy

## Re-record every library story's golden report and engine -> Genesys cassette (cassettes/scenarios/, see docs/scenarios.md).
goldens: install
	$(VENV)/bin/provsim scenario golden --dir cassettes/scenarios

## Every fake on http://127.0.0.1:8080 (demo credentials are printed).
serve: install
	$(VENV)/bin/provsim serve

## The wheel users install (dist/provsim-*.whl; the tenants and scenarios ship inside it).
wheel: install
	$(PY) -m pip wheel --no-deps -w dist .

## Speed and memory figures (printed and saved under benchmarks/results/).
bench: install
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache
