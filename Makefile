# The commands of the README: `make run`, `make test` and `make test-fast`. All build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast unit bench package fuzz chromium screenshots audit audit-tools espeak voice clean

$(STAMP): requirements.txt requirements-dev.txt requirements-uv.txt
	$(PYTHON) -m venv $(VENV)
	if $(BIN)/pip install --quiet --disable-pip-version-check -r requirements-uv.txt && \
		$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode --quiet -r requirements-dev.txt; \
	then :; else $(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt; fi
	touch $(STAMP)

# CAPTCHA_MODE=off unless you say otherwise: a curl user cannot read the captcha picture.
run: $(STAMP)
	CAPTCHA_MODE=$${CAPTCHA_MODE:-off} $(BIN)/python scripts/local.py --demo $(ARGS)

# Everything CI checks: the deployable template, the API fuzzed against its document, the
# web page's Lighthouse and axe-core figures (docs/page.md), then the tests. What waits on
# the network goes side by side (the venv, Chromium, the audit's tools), then the package
# beside the fuzzer (each mostly waits: on PyPI, on the local run's answers); the audit and
# pytest each have the machine to themselves (Lighthouse's score moves with the load).
# pytest runs last so that its summary is the closing line CI reads.
# (--output-sync prints each side's output whole when it ends.)
SUBMAKE := $(MAKE) --no-print-directory
test:
	$(SUBMAKE) --output-sync=target -j3 $(STAMP) chromium audit-tools
	$(SUBMAKE) --output-sync=target -j2 package fuzz
	$(SUBMAKE) audit
	$(SUBMAKE) unit

# pytest on two workers (pytest-xdist), a test file to a worker (a file's module-scoped
# local run or browser is started once). PYTEST_ARGS adds to it, e.g. PYTEST_ARGS="-n 4".
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadfile

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile $(PYTEST_ARGS)

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

# Lighthouse 12 and axe-core for `make audit`, from the npm registry into scripts/audit/
# node_modules (pinned by its package-lock.json); the audit itself runs offline.
# scripts/audit/package.json pins third-party-web with an override: a dependency of
# Lighthouse asks for its "latest", which no lock file can hold, and `npm ci` then refuses.
AUDIT_TOOLS := scripts/audit/node_modules/.installed
# After chromium (order only): two apt-get runs at once would fight over dpkg's lock.
$(AUDIT_TOOLS): scripts/audit/package.json scripts/audit/package-lock.json | chromium
	@command -v npm >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; \
	else echo "npm is not installed (Node 20: apt-get install nodejs npm)"; exit 1; fi; }
	cd scripts/audit && npm ci --no-audit --no-fund --loglevel=error
	touch $(AUDIT_TOOLS)
audit-tools: $(AUDIT_TOOLS)

# The page measured (docs/page.md): fails under Lighthouse's targets or on any axe finding.
audit: $(STAMP) chromium $(AUDIT_TOOLS)
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python scripts/audit.py

# The audio captcha's Persian digits (chalicelib/voice/, shipped) are made by espeak-ng.
espeak:
	@if command -v espeak-ng >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q espeak-ng; \
	else echo "espeak-ng is not installed (apt-get install espeak-ng)"; exit 1; fi
voice: $(STAMP) espeak
	$(BIN)/python scripts/voice_clips.py

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
	rm -rf $(VENV) .pytest_cache build scripts/audit/node_modules
