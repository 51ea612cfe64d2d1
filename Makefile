# SalesOps — `make run` for a working app with demo data, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export DJANGO_SETTINGS_MODULE ?= salesops.settings.dev

.PHONY: help install assets messages compilemessages migrate seed run worker beat test lint typecheck bench clean

help:
	@echo "make run      install, build, migrate, seed the demo org, start web + worker + beat"
	@echo "make test     lint, type-check and the whole test suite"
	@echo "make bench    print timing figures"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/vendor/.built: node_modules/.package-lock.json scripts/build_assets.mjs
	npm run --silent build
	touch $@

assets: static/vendor/.built

messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --add-location file --ignore=.venv --ignore=node_modules --ignore=static --ignore=tests

compilemessages: install
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py sync_schedules

seed: migrate
	$(PY) manage.py seed_demo

run: install assets compilemessages seed
	$(BIN)/honcho start -f Procfile.dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy salesops/services salesops/selectors.py salesops/permissions.py salesops/webhook_formats.py \
		goals/services goals/selectors.py goals/smart.py goals/progress.py goals/metrics.py goals/importing.py goals/periods.py \
		raci/services.py raci/selectors.py raci/disputes.py raci/validation.py raci/workdays.py \
		actionplans/services.py actionplans/selectors.py actionplans/standups.py actionplans/timeline.py actionplans/triggers.py actionplans/blueprints.py \
		feedback/services.py feedback/selectors.py feedback/anonymity.py feedback/blueprints.py \
		dashboards/rollups.py dashboards/snapshots.py dashboards/stats.py dashboards/experiments.py \
		dashboards/selectors.py dashboards/alerts.py dashboards/alert_readings.py dashboards/deviation.py dashboards/alert_templates.py \
		dashboards/boards.py dashboards/board_forms.py dashboards/reviews.py dashboards/review_forms.py dashboards/digest.py

test: install assets compilemessages lint typecheck
	DJANGO_SETTINGS_MODULE=salesops.settings.test $(BIN)/pytest

bench: install assets compilemessages
	DJANGO_SETTINGS_MODULE=salesops.settings.test $(PY) -m benchmarks.run
	DJANGO_SETTINGS_MODULE=salesops.settings.test $(PY) -m benchmarks.monitoring

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles var
