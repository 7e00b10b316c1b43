# The commands of the README: `make run`, `make test` and `make test-fast`. All build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast unit bench package fuzz chromium screenshots clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# CAPTCHA_MODE=off unless you say otherwise: a curl user cannot read the captcha picture.
run: $(STAMP)
	CAPTCHA_MODE=$${CAPTCHA_MODE:-off} $(BIN)/python scripts/local.py --demo $(ARGS)

# Everything CI checks: the deployable template, the API fuzzed against its document, then
# the tests. pytest runs last so that its summary is the closing line CI reads.
test: chromium package fuzz unit

# pytest on two workers (pytest-xdist), a test file to a worker (a file's module-scoped
# local run or browser is started once). PYTEST_ARGS adds to it, e.g. PYTEST_ARGS="-n 4".
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadfile

unit: $(STAMP)
	$(PYTEST) $(PYTEST_ARGS)

# The developer's loop: unit and route tests, no browser, no package, no fuzz.
test-fast: $(STAMP)
	$(PYTEST) -m "not browser" $(PYTEST_ARGS)

# The web page's browser tests drive Debian's Chromium (Playwright cannot download one here).
# As root it is installed when missing; otherwise those tests skip and say why.
chromium:
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else echo "chromium is not installed: the browser tests will be skipped"; fi

# docs/screenshots/: the main screens at a phone's width, taken from a local run.
screenshots: $(STAMP) chromium
	$(BIN)/python scripts/screenshots.py

# `chalice package` for prod with the tables merged in, then cfn-lint over the result.
package: $(STAMP)
	$(BIN)/python scripts/package.py

# schemathesis over docs/openapi.yaml against scripts/local.py on free ports.
fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz.py

bench: $(STAMP)
	$(BIN)/python bench/import_time.py
	$(BIN)/python bench/auth_calls.py
	$(BIN)/python bench/device_calls.py
	$(BIN)/python bench/channel_calls.py
	$(BIN)/python bench/menu_calls.py
	$(BIN)/python bench/forgot_timing.py
	$(BIN)/python bench/expiry.py --sims 10000 --expired 1000
	$(BIN)/python bench/page_weight.py
	$(BIN)/python bench/latency.py

clean:
	rm -rf $(VENV) .pytest_cache build
