# Relais: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two workers on SQLite (one in-memory test database each); `make test PYTEST_ARGS=`
# runs in a single process.
PYTEST_ARGS ?= -n auto

.PHONY: run test lint install clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 est requis ($(PYTHON) introuvable)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	DJANGO_SECRET_KEY=lint-only $(PY) manage.py makemigrations --check --dry-run

# pytest exits 5 when it collects no test: make fails on it like on any failure.
test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Migrates, loads the demo data, serves http://127.0.0.1:8000 (DJANGO_DEBUG=1).
run: $(STAMP)
	$(PY) -m scripts.run_dev

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var/witness
