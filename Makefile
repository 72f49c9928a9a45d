# The two commands of the README: `make run` starts everything, `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SIMULATOR_PORT ?= 8765
# Not $PORT: honcho gives each process its own PORT.
export WEB_PORT := $(PORT)
export SIMULATOR_PORT

# Every process starts from cached bytecode (and pytest's rewritten tests), even where the
# machine's environment turns the cache off: a test run starts a dozen Pythons.
unexport PYTHONDONTWRITEBYTECODE

# Without a DashScope key, everything talks to the bundled simulator.
ifeq ($(strip $(DASHSCOPE_API_KEY)),)
PROCESSES := simulator web worker ready
export DASHSCOPE_API_KEY := sk-simulator
export DASHSCOPE_BASE_URL := http://127.0.0.1:$(SIMULATOR_PORT)/api/v1
export DASHSCOPE_RESULT_HOSTS := 127.0.0.1
export DASHSCOPE_SIMULATED := true
else
PROCESSES := web worker ready
endif

CATALOGUE := locale/zh_Hans/LC_MESSAGES/django.mo
# Where makemessages and compilemessages are not to look: other people's catalogues and copies.
NOT_OURS := -i .venv -i staticfiles -i mutants -i var -i tests -i bench

.PHONY: run serve test test-fast lint format chromium gettext messages bench bench-scale-out bench-usage load page-weight stress mutate clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: $(BIN)/.installed $(CATALOGUE)
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start $(PROCESSES)

# Production-style on one machine, against DashScope itself: gunicorn and qcluster, no simulator.
serve: export BIND ?= 127.0.0.1:$(PORT)
serve: export WEB_WORKERS ?= 4
serve: $(BIN)/.installed $(CATALOGUE)
	@test "$(DASHSCOPE_SIMULATED)" != true || { echo "make serve needs DASHSCOPE_API_KEY" >&2; exit 1; }
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho -f deploy/Procfile.serve start

# The Chinese catalogue, compiled from the translations kept in git. `make messages` after a
# string changed adds it to locale/zh_Hans/LC_MESSAGES/django.po, to be translated there.
# Django's tools for both are GNU gettext's.
$(CATALOGUE): $(CATALOGUE:.mo=.po) | $(BIN)/.installed gettext
	$(BIN)/python manage.py compilemessages -l zh_Hans $(NOT_OURS)

messages: $(BIN)/.installed gettext
	$(BIN)/python manage.py makemessages -l zh_Hans --no-location --no-obsolete $(NOT_OURS)

gettext:
	@command -v msgfmt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }

# Browser tests use Debian's Chromium; Playwright's own browser download cannot work here.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The whole suite twice: on the embedded default (SQLite, the ORM broker, local files), then on
# PostgreSQL + Redis + object storage (an S3 server tests/scale_out.py starts for the run).
# Three processes on two cores: most tests wait on servers, not on the CPU.
PYTEST := $(BIN)/pytest -n 3 --dist worksteal
test: $(BIN)/.installed $(CATALOGUE) chromium lint
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(PYTEST)
	$(BIN)/python -m tests.scale_out $(PYTEST)

# The everyday loop: everything but the tests that start real processes or a browser (`slow`).
# Four processes: half of these tests' time is waiting on the simulator's threads.
test-fast: $(BIN)/.installed $(CATALOGUE) lint
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/pytest -n 4 --dist worksteal -m "not slow"

bench: $(BIN)/.installed
	$(BIN)/python bench/pipeline.py

# The same 200 generations on the default and on the scale-out configuration, side by side.
bench-scale-out: $(BIN)/.installed
	$(BIN)/python bench/scale_out.py

# The usage pages over a month of 10,000 ledger entries: their queries and p50/p95, figures checked.
bench-usage: $(BIN)/.installed
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python bench/usage_pages.py

# 50 users logging in, creating and polling their cards for 60 s against gunicorn + qcluster.
load: $(BIN)/.installed
	$(BIN)/python bench/load.py

# A gallery page of 48 thumbnails in Chromium: the bytes it transfers.
page-weight: $(BIN)/.installed chromium
	$(BIN)/python bench/page_weight.py

# The long crash run the "nothing lost, nothing paid twice" figures come from (about 3 min).
stress: $(BIN)/.installed
	CRASH_GENERATIONS=50 CRASH_KILLS=20 $(BIN)/pytest tests/test_crash.py

# Mutation testing of the never-pay-twice path, the permissions and the download allow-list
# (tests/mutate.py): each mutant runs only its area's tests, two at a time; survivors are listed.
# `make mutate MUTATE=allow-list` for one area.
mutate: $(BIN)/.installed $(CATALOGUE)
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python -m tests.mutate $(MUTATE)

clean:
	rm -rf $(VENV) staticfiles var
