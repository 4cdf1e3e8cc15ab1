# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Both create .venv and install what they need and, when run as root, the Debian packages
# (chromium, its driver, CJK fonts) the browser tests and the briefing's PDF and charts use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SYSDEPS := chromium chromium-driver fonts-noto-cjk fonts-arphic-ukai fonts-arphic-uming
# Where `make demo` listens: make demo PORT=8061 HOST=0.0.0.0
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: demo test lint bench sysdeps venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# Debian packages for the browser tests and the briefing's PDF/Word charts (Chromium) and
# faces (CJK fonts); only attempted as root, and only if one is missing.
sysdeps:
	@if dpkg -s $(SYSDEPS) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSDEPS) >/dev/null; \
	else echo "note: install $(SYSDEPS) (as root) for the browser tests"; fi

demo: venv sysdeps
	$(VENV)/bin/govwall demo --host $(HOST) --port $(PORT)

test: venv sysdeps
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: venv
	$(PY) bench/seed.py
	$(PY) bench/wall.py

clean:
	rm -rf $(VENV) var test-artifacts
