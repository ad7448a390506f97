# Two commands set everything up: `make run` and `make test` (see README.md).
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8501

.PHONY: run test install lint format bench bench-national bench-store bench-browser mutants clean screenshots

$(PY):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv

# Re-install only when the project's dependencies change.
$(STAMP): pyproject.toml | $(PY)
	$(UV) pip install --quiet --python $(PY) -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

test: install
	$(VENV)/bin/ruff check crimedash tests benchmarks app.py
	$(VENV)/bin/ruff format --check crimedash tests benchmarks app.py
	$(PY) -m pytest -n 2 --dist loadgroup

lint: install
	$(VENV)/bin/ruff check crimedash tests benchmarks app.py

format: install
	$(VENV)/bin/ruff format crimedash tests benchmarks app.py
	$(VENV)/bin/ruff check --fix crimedash tests benchmarks app.py

# National-shaped data (benchmarks/national_data.py, cached in benchmarks/.cache/):
# `make bench-national` runs 1M and 5M rows; `make bench` runs 1M, and 5M too with
# `make bench BENCH_5M=5000000` (about 15 minutes on 2 busy cores).
NATIONAL_ROWS ?= 1000000 5000000
BENCH_5M ?=

bench: install
	$(UV) pip install --quiet --python $(PY) -e '.[test,bench]'
	$(PY) benchmarks/load.py --rows 1000000
	$(PY) benchmarks/engine.py --rows 1000000
	$(PY) benchmarks/attack.py --rows 1000000
	$(PY) benchmarks/designlog.py --designs 2000 --assessment-kb 50
	$(MAKE) --no-print-directory bench-national NATIONAL_ROWS="1000000 $(BENCH_5M)"

bench-national: install
	@for n in $(NATIONAL_ROWS); do $(PY) benchmarks/national.py --rows $$n || exit 1; done

# What the analyst waits for in a real browser at national scale (needs Chromium): the
# app started on BROWSER_ROWS national-shaped rows, each kind of control changed, time
# to the score and to the end of the run, first use and repeat; one screenshot.
BROWSER_ROWS ?= 5000000
bench-browser: install
	$(PY) benchmarks/browser_latency.py --rows $(BROWSER_ROWS)

# Out of core: the on-disk store and its atoms, time and peak memory per stage.
STORE_ROWS ?= 5000000
bench-store: install
	$(PY) benchmarks/store.py --rows $(STORE_ROWS)

# Mutation testing of risk.py, layer.py and export.py (see [tool.mutmut] in pyproject.toml).
# Slow on purpose: run it when changing the model, not on every commit. MUTANTS narrows
# the run, e.g. make mutants MUTANTS='crimedash.risk*'.
MUTANTS ?=
mutants: install
	$(UV) pip install --quiet --python $(PY) -e '.[test,dev]'
	$(VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
	$(VENV)/bin/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist mutants

# Screenshots for docs/screenshots/ (needs Chromium; real police.uk files beside the project)
screenshots: install
	$(PY) docs/screenshots.py
