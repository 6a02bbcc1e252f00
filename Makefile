# Relais: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The lock files (hashes included) are what every install uses; `make lock`
# refreshes them from pyproject.toml's ranges.
LOCK := requirements/dev.txt
# Two workers on SQLite (one in-memory test database each); `make test PYTEST_ARGS=`
# runs in a single process.
PYTEST_ARGS ?= -n auto

.PHONY: run test lint install lock clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 est requis ($(PYTHON) introuvable)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(LOCK) | $(PY)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	@touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	DJANGO_SECRET_KEY=lint-only $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SECRET_KEY=lint-only $(VENV)/bin/mypy

# Resolves pyproject.toml's ranges again (PyPI) and rewrites both lock files:
# requirements/base.txt (what production installs) and requirements/dev.txt.
lock: | $(PY)
	$(PY) -m pip install --quiet "uv>=0.9,<1"
	$(VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes \
		--python-version 3.11 --python-platform linux -o requirements/base.txt
	$(VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes --extra dev \
		--python-version 3.11 --python-platform linux -o requirements/dev.txt

# pytest exits 5 when it collects no test: make fails on it like on any failure.
test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Migrates, loads the demo data, serves http://127.0.0.1:8000 (DJANGO_DEBUG=1).
run: $(STAMP)
	$(PY) -m scripts.run_dev

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var/witness
