# vibetesting-ci developer commands. Needs only Python 3.11+ and make.
#   make demo   - a guided run against the local emulator; leaves JUnit, PDFs, results in demo-output/
#   make test   - install test dependencies into .venv and run the whole test suite (minutes)
#   make test-fast - the unit layer only (in-process, no emulator or subprocess): seconds
#   make lint   - ruff, mypy (strict), shellcheck, hadolint, check-jsonschema, actionlint, zizmor,
#                 lock-file check
#   make bench  - benchmarks (start-up, many executions, polling, report download)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DEMO_DIR := demo-output
DEMO_PORT ?= 8765
# The hash-locked wheels, downloaded once: the native action's tests and benchmark install from
# here with --no-index (a local stand-in for PyPI).
WHEELHOUSE := .ci-work/wheelhouse

# The unit layer (make test-fast): tests/unit/ and the in-process test files below, which check
# pure logic, the CLI through click's CliRunner and the docs against the code, with no emulator,
# no server and no subprocess. tests/unit/test_fast_layer.py checks that each path exists.
UNIT_TESTS := tests/unit \
	tests/unit/domain/test_retry_plan.py tests/unit/domain/test_verdict.py tests/unit/run/test_concurrency.py \
	tests/unit/domain/test_cases.py tests/unit/config/test_options.py tests/unit/test_architecture.py \
	tests/channels/test_output_names.py tests/channels/docs/test_readme_sync.py tests/channels/docs/test_docs_lists.py \
	tests/channels/actions/test_metadata.py tests/channels/gitlab/test_component.py tests/unit/publish/test_gitlab.py \
	tests/unit/test_fast_layer.py tests/unit/render/test_report_agreement.py

.PHONY: demo test test-fast lint bench venv wheelhouse clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

venv: $(BIN)/python

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-lint: pyproject.toml | $(BIN)/python
	$(PY) -m pip install --quiet -e '.[test,lint]'
	touch $@

demo: $(VENV)/.installed
	$(PY) scripts/demo.py --output $(DEMO_DIR) --port $(DEMO_PORT)

$(WHEELHOUSE)/.done: requirements/build.txt requirements/runtime.txt | $(BIN)/python
	$(PY) -m pip download --quiet --require-hashes --only-binary :all: --dest $(WHEELHOUSE) \
		-r requirements/build.txt -r requirements/runtime.txt
	touch $@

wheelhouse: $(WHEELHOUSE)/.done

test: $(VENV)/.installed-test $(WHEELHOUSE)/.done
	$(PY) -m pytest

test-fast: $(VENV)/.installed-test
	$(PY) -m pytest $(UNIT_TESTS)

lint: $(VENV)/.installed-lint
	$(BIN)/ruff check src tests scripts native $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests scripts native $(wildcard benchmarks)
	$(BIN)/mypy
	PATH="$(CURDIR)/$(BIN):$$PATH" bash .ci/lint.sh

bench: $(VENV)/.installed $(WHEELHOUSE)/.done
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache build dist
