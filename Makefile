# EventDay — all set-up goes through these targets. `make run` and `make test` are enough.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app
STAMP := $(VENV)/.installed

.PHONY: install run test lint fmt translations translations-compile assets bench clean lock

install: $(STAMP) translations-compile assets

$(STAMP): requirements.lock
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	@touch $(STAMP)

# Re-pin after editing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

translations-compile: $(STAMP)
	$(BIN)/pybabel compile -d translations -f

translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --omit-header
	$(BIN)/pybabel compile -d translations -f --statistics

# Third-party browser code comes from npm (package-lock.json pins it) into static/vendor/.
assets: static/vendor/jsqr/jsQR.js

static/vendor/jsqr/jsQR.js: package-lock.json
	npm ci --no-audit --no-fund
	mkdir -p static/vendor/jsqr
	cp node_modules/jsqr/dist/jsQR.js $@

run: install
	$(FLASK) db upgrade
	@$(FLASK) db-ready || $(FLASK) demo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not postgres"
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL run: $$TEST_DATABASE_URL =="; \
	  EVENTDAY_TEST_DB=postgres $(BIN)/python -m pytest -q -p no:cacheprovider -m "not browser"; \
	else echo "== PostgreSQL run skipped: TEST_DATABASE_URL is not set =="; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench.pages --quick
	$(BIN)/python -m bench.ticket_rush --quick
	$(BIN)/python -m bench.checkin --quick
	$(BIN)/python -m bench.matchmaking --quick
	$(BIN)/python -m bench.directory --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
