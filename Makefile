# `make demo` and `make test` work on a fresh clone: they create .venv and install what
# they need (and, when run as root, the Debian packages the tests use).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SOURCES := pyproject.toml $(shell find daemon providers templates -type f -not -name '*.pyc')
DEBIAN_PACKAGES := dbus systemd python3-venv dovecot-imapd

.PHONY: demo test lint bench system-deps clean

$(STAMP): $(SOURCES)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@rm -rf build/__editable__.afterword-*  # a strict editable tree keeps links to moved files
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]' \
		--config-settings editable_mode=strict
	@touch $(STAMP)

# Debian packages for the tests (a private D-Bus bus, systemd-analyze). Only as root;
# otherwise the tests that need them say what to install and are skipped.
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		missing=""; for p in $(DEBIAN_PACKAGES); do \
			dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
		if [ -n "$$missing" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		fi; \
	fi

demo: $(STAMP)
	$(VENV)/bin/afterword demo

# system-deps first: a fresh Debian needs python3-venv before the venv can be made.
test: system-deps $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check daemon providers tests bench
	MYPYPATH=$$(echo build/__editable__.afterword-*) $(VENV)/bin/mypy \
		-p afterword.daemon -p afterword.providers

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache
