# Two commands on a fresh machine: `make run` and `make test`. `make install` sets up .venv alone
# (no system packages); `make test` also brings the Debian packages the tests need (scripts/system-packages).
VENV ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PY := $(VENV)/bin/python
PORT ?= 8000
# Where a CPU build of torch lies on disk, let pip take it from there rather than download CUDA.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PORT

.PHONY: install system-packages index run test lint format eval clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(FIND_LINKS) -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# redis-server, chromium and postgresql for the tests: apt-get installs them as root, otherwise this stops at
# once with the command to run. `make run` needs none of them (Redis and PostgreSQL are optional there).
system-packages:
	./scripts/system-packages

index: install
	$(PY) -m index build --if-missing

run: index
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

# system-packages comes first: a missing package is reported before .venv is built. bench.audit
# looks up known vulnerabilities in the pinned runtime requirements and fails only on a finding.
test: system-packages install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m bench.audit requirements.txt
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

eval: index
	$(PY) -m qa.evaluate ../shared/eval

clean:
	rm -rf $(VENV) index/data .pytest_cache .ruff_cache .mypy_cache
