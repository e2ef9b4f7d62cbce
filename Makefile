# Two commands matter: `make demo` and `make test` (see README).
# Everything else is a building block they share.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: setup demo test test-python lint dev serve docs clean postgres-start test-postgres test-spark engines-setup test-engines bench sentiment-weights
.DEFAULT_GOAL := demo

# The locked environment in .venv (uv.lock): re-synced when the lock, pyproject.toml or
# this Makefile changes.
# --compile-bytecode writes every package's .pyc once (about 20 s): without it, and with
# PYTHONDONTWRITEBYTECODE set or a read-only .venv, every `cxcs refresh` and every dbt
# subprocess recompiles Dagster, dbt and GX from source (about 40 s of a small refresh).
$(VENV)/.synced: pyproject.toml uv.lock Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --quiet --compile-bytecode
	touch $@

# dagster-dbt reads target/manifest.json; refresh it whenever models change. The refresh's own
# parse (canonical profile environment, fingerprint stamp): the tests and refreshes that follow
# find it current instead of parsing again.
target/manifest.json: $(VENV)/.synced dbt_project.yml $(shell find models macros seeds tests -type f 2>/dev/null)
	$(BIN)/python -m orchestration.dbt_manifest

setup: $(VENV)/.synced target/manifest.json

## Generate the demo landing data (once), load, build and publish; prints key metrics.
demo: setup
	$(BIN)/cxcs demo

## Lint the Python (ruff) and the SQL (sqlfluff) and run every test (pytest drives real DuckDB, dbt and Dagster runs).
## Both at once: sqlfluff (61-67 s alone) no longer delays pytest's start; the CPU is busy either
## way (1.6% idle while pytest ran in CI), so the gain is little more than that wait. Their lines
## are not mixed, and the target fails when either does (DECISIONLOG "make test lints while the
## tests run").
test: setup
	$(MAKE) --no-print-directory -j2 --output-sync=line lint test-python

# Two workers (pytest-xdist), one per core of the CI machine; a module's tests stay together so
# its module-scoped warehouse is built once (DECISIONLOG "The suite runs on both cores"), the
# longest modules first (tests_py/conftest.py HEAVY_MODULES). With CXCS_TEST_ENGINES set (CI:
# `make engines-setup` first) the engine suites run in the same session, on either worker.
test-python: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

# sqlfluff's dbt templater gets a dbt target folder of its own: it parses with the lint profile
# and would replace target/partial_parse.msgpack, which refreshes (and tests running beside it) read.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DBT_TARGET_PATH=target/sqlfluff $(BIN)/sqlfluff lint --processes 2 models macros tests

## Benchmark (BENCHMARKS.md): make bench [SCALE=ci|demo|medium|large] [REPEAT=n] [DATA_DIR=landing folder].
SCALE  ?= medium
REPEAT ?= 1
bench: setup
	$(BIN)/cxcs bench --scale $(SCALE) --repeat $(REPEAT) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

## Re-train the comment sentiment weights (orchestration/voc/sentiment_weights.npy) from the
## vaderSentiment 3.3.2 sdist's labelled sentences; deterministic (same file byte for byte).
## pip of the system Python fetches the sdist: uv has no `download` (DECISIONLOG "Sentiment: VADER plus a linear model").
SENTIMENT_SDIST_DIR ?= /tmp/cxcs-sentiment-sdist
sentiment-weights: setup
	$(PYTHON) -m pip download --quiet --no-binary :all: --no-deps vaderSentiment==3.3.2 -d $(SENTIMENT_SDIST_DIR)
	$(BIN)/python -m orchestration.voc.train_sentiment $(SENTIMENT_SDIST_DIR)/vaderSentiment-3.3.2.tar.gz

## The Dagster UI with the full lineage (http://127.0.0.1:3000).
## .venv/bin need not be on PATH: the definitions run the dbt beside their interpreter
## (orchestration/config.py dbt_executable; tests_py/test_code_location.py checks it).
dev: setup
	$(BIN)/dagster dev -m orchestration.definitions

## Production-style: the Dagster daemon and webserver on the persistent instance data/dagster
## (dagster.yaml: SQLite, a one-run queue, run retries); docs/operate.md runs it as a service.
serve: setup
	DAGSTER_HOME=$(CURDIR)/data/dagster bash orchestration/serve.sh

## dbt docs with the lineage down to the exposures, catalog read from the published file (read-only).
## parse, then generate with --no-compile: compiling some models queries intermediate tables, and
## the published file holds only marts, semantic, seeds and the load bookkeeping.
docs: setup
	DBT_TARGET=semantic $(BIN)/dbt parse --profiles-dir .
	DBT_TARGET=semantic $(BIN)/dbt docs generate --no-compile --profiles-dir .
	@echo "open target/index.html, or: $(BIN)/dbt docs serve --profiles-dir ."

## Other engines (README "Other engines"): the same project on PostgreSQL and on Spark, checked
## against DuckDB (tests_py/test_engines.py). Each installs its optional extra into .venv
## (--inexact: keeps the other extra) and test-postgres starts a local server first.
ENGINE_SYNC = UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --quiet --inexact

postgres-start:
	bash orchestration/engines/start_postgres.sh

test-postgres: setup
	$(ENGINE_SYNC) --extra postgres
	bash orchestration/engines/start_postgres.sh
	CXCS_TEST_ENGINES=postgres $(BIN)/python -m pytest tests_py/test_engines.py

test-spark: setup
	$(ENGINE_SYNC) --extra spark
	CXCS_TEST_ENGINES=spark $(BIN)/python -m pytest tests_py/test_engines.py

## Both engines' packages and a running PostgreSQL: then `CXCS_TEST_ENGINES=postgres,spark make test`
## runs the engine suites inside the whole suite (CI), or `make test-engines` alone.
engines-setup: setup
	$(ENGINE_SYNC) --extra postgres --extra spark
	bash orchestration/engines/start_postgres.sh

## Both in one session: the landing set, the build files and the DuckDB reference are made once.
test-engines: engines-setup
	CXCS_TEST_ENGINES=postgres,spark $(BIN)/python -m pytest tests_py/test_engines.py

clean:
	rm -rf data target logs .pytest_cache
