# vibetesting-ci developer commands. Needs only Python 3.11+ and make.
#   make demo   - a guided run against the local emulator; leaves JUnit, PDFs, results in demo-output/
#   make test   - install test dependencies into .venv and run the whole test suite (minutes)
#   make test-fast - the unit layer (in-process, no emulator, no subprocess) and the static
#                    channel checks: seconds (property tests lighter than in make test)
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

# The unit layer (make test-fast): tests/unit/ (in-process: tests/unit/conftest.py fails a test
# there that starts a process or connects a socket) and the channel checks that only read files
# (the README's generated tables, output names, the actions' metadata, the GitLab component).
# tests/unit/test_fast_layer.py checks that each path exists.
UNIT_TESTS := tests/unit tests/channels/docs tests/channels/test_output_names.py \
	tests/channels/actions/test_metadata.py tests/channels/gitlab/test_component.py

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
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest

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
