# Duban — two commands: `make test` and `make run`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test run lint bench install clean browser

CHROMIUM := /usr/bin/chromium

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared services tests $(wildcard bench/*.py)

# The page tests drive Debian's Chromium; CJK fonts so pages render as users see them.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing chromium (Debian) for the page tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; \
	fi

test: lint browser
	$(VENV)/bin/pytest

# make run: development mode (placeholder secrets allowed) unless DUBAN_ENV says otherwise.
run: $(STAMP)
	DUBAN_ENV=$${DUBAN_ENV:-development} exec $(VENV)/bin/duban run

bench: $(STAMP)
	@for f in bench/[!_]*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
