# Two commands for a newcomer: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CULTRADE_HOME ?= $(CURDIR)/.cultrade-demo

.PHONY: demo test bench lint typecheck snapshot countries clean browser loadtool

# Browser tests and PDF reports use Debian's Chromium (never a browser Playwright downloads).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian chromium and CJK fonts (apt)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium not installed and not root: browser tests and PDF reports will be skipped"; fi; \
	fi

# The closed-loop load benchmark drives the server with Debian's wrk.
loadtool:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian wrk (apt)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk not installed and not root: the load benchmark will be skipped"; fi; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cultrade demo

test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy src
	$(BIN)/python -m pytest src tests

bench: $(STAMP) browser loadtool
	$(BIN)/python -m benchmarks.run

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy src

# Maintainers: rebuild the bundled references from ../shared/data.
countries: $(STAMP)
	$(BIN)/python scripts/build_country_reference.py ../shared/data

snapshot: $(STAMP)
	$(BIN)/cultrade snapshot build ../shared/data

clean:
	rm -rf $(VENV) .cultrade-demo .pytest_cache .mypy_cache .ruff_cache
