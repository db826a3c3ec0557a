# Tenderwatch: the two commands a newcomer needs are `make demo` and `make test`.
# Every target bootstraps .venv when it is missing or older than pyproject.toml.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# test processes (pytest-xdist): one per core; `make test TEST_WORKERS=0` runs in this process only
TEST_WORKERS ?= auto

.PHONY: demo serve-demo test run serve lint reliability soak bench clean help browser-deps

help:
	@echo "make demo         run the whole chain on recorded pages (SQLite, loopback, outbox)"
	@echo "make test         run the test suite"
	@echo "make run          start the scheduler (live sources)"
	@echo "make serve-demo   the demo's site on http://127.0.0.1:8000 (after make demo), with an ILO sign-in"
	@echo "make serve        start the web site on http://127.0.0.1:8000"
	@echo "make lint         ruff"
	@echo "make reliability  fault-injection, fuzz and abuse suite with its figures"
	@echo "make soak         the same with the slow tests and 10x fuzz examples"
	@echo "make bench        benchmarks"
	@echo "make audit        known vulnerabilities in the installed dependencies (pip-audit; needs PyPI or OSV)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tenderwatch demo

# the demo's database and secret on loopback, so that the links in its mails open its pages
serve-demo: $(STAMP)
	$(BIN)/tenderwatch serve --demo

# The browser tests drive Debian's chromium (never a downloaded build); the directory's PDF brochure
# (WeasyPrint) needs Pango. CI runs as root on a fresh Debian machine, so install them there when
# missing; elsewhere say how, and the browser and brochure tests skip.
browser-deps:
	@if [ -x /usr/bin/chromium ] && ldconfig -p | grep -q libpangoft2-1.0.so.0; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium (browser tests) and Pango (the PDF brochure)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libpango-1.0-0 \
			libpangoft2-1.0-0 >/dev/null; \
	else echo "note: chromium or Pango missing (sudo apt-get install chromium libpango-1.0-0 libpangoft2-1.0-0);" \
		"browser and brochure tests will skip"; fi

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest -m "not slow" -n $(TEST_WORKERS) $(PYTEST_ARGS)

run: $(STAMP)
	$(BIN)/tenderwatch run

serve: $(STAMP)
	$(BIN)/tenderwatch serve

lint: $(STAMP)
	$(BIN)/ruff check .

# the fault-injection, fuzz and abuse suite with its figures table; `make soak` adds the slow tests
reliability: $(STAMP)
	$(BIN)/python bench/reliability.py

soak: $(STAMP)
	$(BIN)/python bench/reliability.py --soak

# pip-audit in its own throwaway virtualenv, on the exact versions installed in .venv; --strict fails
# when a package could not be checked (no advisory data reachable), instead of reporting it clean.
audit: $(STAMP)
	@rm -rf var/audit && mkdir -p var && $(PYTHON) -m venv var/audit
	var/audit/bin/python -m pip install --quiet pip-audit
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^tenderwatch' > var/audit/requirements.txt
	var/audit/bin/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r var/audit/requirements.txt

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf var .pytest_cache
