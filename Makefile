# The two commands an operator needs: `make run` (the bot with BOT_TOKEN, the offline sandbox
# without it) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: run test lint migrate clean bench screenshot chart

# `make run` needs only the product's dependencies (a fresh clone serves the sandbox sooner);
# lint and test add their tools on top, and the `ocr` extra, so the screen reader is tested.
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,ocr]'
	touch $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/python -m sandbox

migrate: $(RUN_STAMP)
	$(BIN)/complaint-bot migrate

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy bot dialogs cases storage locales sandbox

# Everything on SQLite, then the tests that keep rows (tests/storage runs both backends itself)
# again on PostgreSQL at TEST_POSTGRES_URL, less those marked backend_independent (tests/dbs.py);
# without a reachable server that run is skipped, saying so. The tests marked every_runtime run
# on aiogram and python-telegram-bot in the SQLite run, on aiogram alone on PostgreSQL: the
# adapters sit above storage (tests/runtimes.py).
# Each run is spread over the machine's cores (pytest-xdist), the tests that start the bot as
# processes on one worker (tests/conftest.py); TEST_JOBS=0 runs each in one process, as a
# debugger or a bisect wants.
PG_TESTS := tests/bot tests/e2e tests/stories
TEST_JOBS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_JOBS) --dist loadgroup

# Lint runs beside the SQLite run (mypy keeps one core busy for most of a minute; the tests
# wait on processes and sockets part of the time) and its report is printed after it.
test: $(STAMP)
	@echo "== lint (its report follows the SQLite run), and on SQLite: tests"
	@$(MAKE) --no-print-directory lint > $(VENV)/lint.log 2>&1 & lint=$$!; \
	$(PYTEST); tests=$$?; \
	wait $$lint; linted=$$?; \
	echo "== lint"; cat $(VENV)/lint.log; \
	[ $$linted -eq 0 ] || echo "lint failed"; \
	[ $$tests -eq 0 ] && [ $$linted -eq 0 ]
	@if $(BIN)/python -m tests.dbs $(PG_TESTS); then \
		echo "== again on PostgreSQL (TEST_DATABASE=postgres): $(PG_TESTS)"; \
		TEST_DATABASE=postgres TEST_RUNTIMES=aiogram $(PYTEST) $(PG_TESTS); \
	fi

# The README's picture of the sandbox, taken from the real page with a case in progress
# (needs Debian's chromium at /usr/bin/chromium).
screenshot: $(STAMP)
	$(BIN)/python -m tests.sandbox.web_page docs/sandbox.png

# The README's stats chart, drawn by the bot's chart code from a month of made-up cases.
chart: $(STAMP)
	$(BIN)/python -m tests.bot.stats_picture docs/stats.png

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Throughput, latency, memory against the targets in README's Performance section; QUICK=1 for
# a smaller run with the same table. Writes bench/results/latest.json.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(if $(QUICK),--quick)
