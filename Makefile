# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install messages run up test lint format clean bench fuzz mutants

install: $(INSTALLED)

$(INSTALLED): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(INSTALLED)

## messages: compile the .po translations (pure Python: no GNU gettext needed)
messages: install
	$(BIN)/pybabel compile --domain django --directory locale --statistics

## run: migrate, load reference data, print a demo key, serve http://127.0.0.1:8000 with a Celery worker
run: messages
	$(BIN)/python bin/run_local.py

## up: production-like: PostgreSQL and Redis (DATABASE_URL, REDIS_URL), production settings, release step
## (create the database, migrate, collectstatic, load_reference_data), then the Procfile's web, worker, beat
up: messages
	$(BIN)/python bin/up.py

## test: the whole suite (SQLite by default; DATABASE_URL / REDIS_URL select real services)
test: messages
	$(BIN)/pytest

## bench: load benchmark on PostgreSQL and Redis (gunicorn, Celery worker, wrk); prints a table
bench: messages
	@command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(BIN)/python bench/run.py

## fuzz: schemathesis on a live server on PostgreSQL and Redis (FUZZ_EXAMPLES=1000 for a long run)
fuzz: messages
	cd bench && ../$(BIN)/python fuzz.py

## mutants: remove each security defence in turn from a scratch copy; its tests must fail (a table; see docs/security.md)
mutants: messages
	$(BIN)/python bench/mutants.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
