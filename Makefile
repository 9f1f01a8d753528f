# Touchpoint CRM. `make demo` starts a working CRM with demo data; `make test` is the test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
VENDOR := touchpoint/core/static/vendor
export DJANGO_SETTINGS_MODULE := touchpoint.settings

.PHONY: demo test lint types migrations-check i18n-check pytest pytest-postgres browser bench assets venv messages clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

$(VENDOR)/.installed: package.json
	npm install --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons $(VENDOR)/echarts
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map $(VENDOR)/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	@touch $@

assets: $(VENDOR)/.installed

var/.translations: $(VENV)/.installed $(wildcard touchpoint/locale/*/LC_MESSAGES/django.po)
	mkdir -p var
	$(PY) -m touchpoint translations --compile
	@touch $@

demo: venv assets var/.translations
	$(PY) -m touchpoint migrate --no-input -v 0
	$(PY) -m touchpoint demo
	$(PY) -m touchpoint serve --host $(HOST) --port $(PORT)

lint: venv
	$(VENV)/bin/ruff check touchpoint bench tests
	$(VENV)/bin/djlint touchpoint --lint --quiet

types: venv
	$(VENV)/bin/mypy touchpoint

migrations-check: venv
	$(PY) -m touchpoint makemigrations --check --dry-run

# Extract messages when gettext is installed, then fail on any empty or fuzzy entry.
i18n-check: venv
	$(PY) -m touchpoint translations --check

messages: venv
	$(PY) -m touchpoint translations --extract

pytest: venv assets var/.translations
	DATABASE_URL= $(VENV)/bin/pytest -q -p no:cacheprovider -n 2 -m "not browser"

pytest-postgres: venv assets var/.translations
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== tests on PostgreSQL"; \
		DATABASE_URL="$$TEST_DATABASE_URL" $(VENV)/bin/pytest -q -p no:cacheprovider -n 2 -m "not browser"; \
	else echo "== TEST_DATABASE_URL is not set: PostgreSQL run skipped"; fi

browser: venv assets var/.translations
	@if [ -x /usr/bin/chromium ]; then \
		echo "== browser tests in Chromium"; \
		DATABASE_URL= $(VENV)/bin/pytest -q -p no:cacheprovider -m browser tests/e2e && \
		DATABASE_URL= $(VENV)/bin/pytest -q -p no:cacheprovider -m browser touchpoint/insights/tests/test_browser.py; \
	else echo "== /usr/bin/chromium not found: browser tests skipped (apt-get install chromium)"; fi

test: lint types migrations-check i18n-check pytest pytest-postgres browser

bench: venv assets var/.translations
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf var $(VENDOR) node_modules
