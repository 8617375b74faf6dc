# Duban — two commands: `make test` and `make run` (and `make demo`, the stack with a movable clock).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# `make run` installs the runtime only; `make test`, `lint` and `bench` add the test extras.
# Two stamps, so either order installs each part once.
RUNTIME := $(VENV)/.installed-runtime
TOOLS := $(VENV)/.installed-test

.PHONY: test run demo lint bench chaos install clean browser

CHROMIUM := /usr/bin/chromium

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(TOOLS): $(RUNTIME)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(TOOLS)

lint: $(TOOLS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared services ops tests $(wildcard bench/*.py)

# The page tests drive Debian's Chromium; CJK fonts so pages render as users see them.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing chromium (Debian) for the page tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; \
	fi
	@# 公文 PDFs (WeasyPrint): pango, HarfBuzz's subsetter (fast, deterministic) and CJK fonts.
	@if [ ! -e /usr/lib/x86_64-linux-gnu/libharfbuzz-subset.so.0 ] && \
		[ ! -e /usr/lib/aarch64-linux-gnu/libharfbuzz-subset.so.0 ] || \
		! fc-list | grep -q "Noto Serif CJK SC"; then \
		echo "installing pango, libharfbuzz-subset0 and fonts-noto-cjk for the documents"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
			libharfbuzz-subset0 fonts-noto-cjk fontconfig >/dev/null; \
	fi

test: lint browser
	$(VENV)/bin/pytest

# make run: development mode (placeholder secrets allowed) unless DUBAN_ENV says otherwise.
run: $(RUNTIME)
	DUBAN_ENV=$${DUBAN_ENV:-development} exec $(VENV)/bin/duban run

# make demo: the same stack, every service adding the seconds in var/clock-offset to its time
# (the README walkthrough's second half writes it); never for a real county.
demo: $(RUNTIME)
	DUBAN_ENV=$${DUBAN_ENV:-development} DUBAN_CLOCK_OFFSET_FILE=var/clock-offset \
		exec $(VENV)/bin/duban run

bench: $(TOOLS)
	@for f in bench/[!_]*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# make chaos: the seeded fault suite against the whole stack on PostgreSQL (127.0.0.1:5432,
# or DUBAN_TEST_PG_DSN as for the tests);
# `make chaos SEED=n` replays the run a failure printed; CHAOS_ARGS adds options.
chaos: $(TOOLS)
	$(PY) -m ops.chaos $(if $(SEED),--seed $(SEED)) \
		$(if $(DUBAN_TEST_PG_DSN),--pg-dsn $(DUBAN_TEST_PG_DSN)) $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
