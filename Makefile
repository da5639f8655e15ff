# Two commands on a fresh machine: `make run` and `make test`. `make install` sets up .venv alone.
VENV ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PY := $(VENV)/bin/python
PORT ?= 8000
# Where a CPU build of torch lies on disk, let pip take it from there rather than download CUDA.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PORT

.PHONY: install index run test lint format eval clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(FIND_LINKS) -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

index: install
	$(PY) -m index build --if-missing

run: index
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

test: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

eval: index
	$(PY) -m service.evaluate ../shared/eval

clean:
	rm -rf $(VENV) index/data .pytest_cache .ruff_cache
