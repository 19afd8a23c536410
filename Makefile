# Desktop Assistant — the two commands are `make run` and `make test`; each sets itself up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# The suite mostly waits (real-time audio, real processes, an X server): two pytest-xdist workers,
# each with its own sound server and desktop (tests/conftest.py), halve its time on 2 cores.
TEST_WORKERS ?= 2

.PHONY: run test lint setup sysdeps sysdeps-test bench package smoke install-desktop clean

run: sysdeps $(STAMP)
	$(BIN)/desktop-assistant

test: sysdeps-test $(STAMP) lint
	scripts/test-env.sh $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)
	$(MAKE) --no-print-directory smoke

setup: sysdeps $(STAMP)

# Style and likely bugs, then types (rules and the strict packages in pyproject.toml): about a
# second with mypy's cache (.mypy_cache), ~10 s of CPU without it.
lint: $(STAMP)
	$(BIN)/ruff check --quiet .
	$(BIN)/mypy

sysdeps:
	@PYTHON=$(PYTHON) scripts/sysdeps.sh app

sysdeps-test:
	@PYTHON=$(PYTHON) scripts/sysdeps.sh test

# The virtualenv with the project and its pinned dependencies; rebuilt only when these change.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
		{ echo "Cannot create a virtualenv: install python3-venv (sudo apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,packaging]"
	@touch $(STAMP)

# The PyInstaller onedir bundle, rebuilt when the code, data or pins change.
FROZEN  := dist/desktop-assistant/desktop-assistant
SOURCES := $(shell find desktop_assistant agents resources -type f -not -name '*.pyc' 2>/dev/null)
package: sysdeps $(FROZEN)
$(FROZEN): $(STAMP) build.spec constraints.txt $(SOURCES)
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build build.spec
	@du -sh dist/desktop-assistant | sed 's/^/bundle size: /'

smoke: $(FROZEN)
	scripts/smoke-frozen.sh $(FROZEN)

install-desktop: package
	scripts/install-desktop.sh "$(CURDIR)/dist/desktop-assistant"

bench: sysdeps-test $(STAMP) $(FROZEN)
	scripts/test-env.sh sh -c 'for b in bench/*.py; do [ "$$b" = bench/compare.py ] || $(BIN)/python $$b || exit 1; done'

clean:
	rm -rf build dist .pytest_cache $(VENV)
