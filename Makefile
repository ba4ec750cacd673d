# Two commands: `make run` serves the site with demo data; `make test` runs every check and test.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export FLASK_APP := app.py

.PHONY: run serve-prod test install install-dev lint audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/flask db upgrade
	DEMO_MODE=1 $(BIN)/flask demo seed
	DEMO_MODE=1 $(BIN)/flask run --debug --host 127.0.0.1 --port 5000

# The production layout on this machine: the Procfile's processes (8001, 8002) on PostgreSQL and Redis, demo data
# loaded (README, "Production"). DATABASE_URL and REDIS_URL override the local defaults; Ctrl-C stops both.
serve-prod: install
	$(BIN)/python -m community.serve_prod

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# bandit: medium severity and above in our code (settings in pyproject.toml). pip-audit: every package in .venv
# against the vendored advisory snapshot, security/advisories.json (README, "Security checks").
audit: install-dev
	$(BIN)/bandit -c pyproject.toml -r community app.py migrations security --severity-level medium -q
	$(BIN)/python security/audit_dependencies.py

test: lint audit
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
