# provsim — two commands on a fresh machine: `make run` and `make test`.
# Each installs only what it needs into .venv: `make run` the runtime (no extras), `make test` adds
# the [test] extra, `make lint` the [lint] extra; `make install` installs all of them (CI, developers).
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.installed-runtime
TESTS := $(VENV)/.installed-test
LINTERS := $(VENV)/.installed-lint

.PHONY: install run test test-fast lint serve bench wheel goldens clean

## Everything: the runtime, the test extras and the linters (what .ci/run installs).
install: $(TESTS) $(LINTERS)

$(RUNTIME): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(TESTS): $(RUNTIME)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(LINTERS): $(RUNTIME)
	$(PY) -m pip install -q -e '.[lint]'
	touch $@

## The main job: a provisioning story end to end on the embedded demo tenant (no server, no credentials).
run: $(RUNTIME)
	$(VENV)/bin/provsim demo

## The whole test suite (what CI runs), spread over the cores: each test file stays in one worker
## (--dist loadfile), so a file's module fixtures (a served tenant, an npm install) are built once.
test: $(TESTS)
	$(VENV)/bin/pytest -n auto --dist loadfile

## The inner loop, under a minute on two cores: everything but the browser tests and the ones marked slow
## (the wheel, the 10,000-user tenant, served fuzzing, stories against scim2-server, pytest and CLI
## subprocesses, Genesys' Python SDK, real-time waits), spread over the cores one file per worker as in
## `make test` (a file's module fixtures and story runs are built once).
test-fast: $(TESTS)
	$(VENV)/bin/pytest -m "not slow and not browser" -n auto --dist loadfile

## Lint and type checks (ruff over simulator/, tests/, benchmarks/; mypy over simulator/, strict for core and engine).
## mypy reads the test extra's SDKs too (simulator/graph/sdk.py), so lint installs both.
lint: $(TESTS) $(LINTERS)
	$(VENV)/bin/ruff check simulator tests benchmarks
	$(VENV)/bin/mypy

## Re-record every library story's golden report and engine -> Genesys cassette (cassettes/scenarios/, see docs/scenarios.md).
goldens: $(RUNTIME)
	$(VENV)/bin/provsim scenario golden --dir cassettes/scenarios

## Every fake on http://127.0.0.1:8080 (demo credentials are printed).
serve: $(RUNTIME)
	$(VENV)/bin/provsim serve

## The wheel users install (dist/provsim-*.whl; the tenants and scenarios ship inside it).
wheel: $(RUNTIME)
	$(PY) -m pip wheel --no-deps -w dist .

## Speed and memory figures (printed and saved under benchmarks/results/).
bench: $(TESTS)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache
