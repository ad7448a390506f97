# Two commands set everything up: `make run` and `make test` (see README.md).
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8501

.PHONY: run test test-lowest install lint format bench bench-national bench-store bench-browser mutants clean screenshots

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

# The version floors, checked: a second venv with the lowest versions pyproject.toml
# allows (constraints-lowest.txt, from `uv pip compile --resolution lowest-direct`)
# runs the tests that reach each dependency's API: pandas, pyarrow, pyogrio and
# geopandas (loading, export), h3 and shapely (units), streamlit (the app's script).
# Regenerate the constraints after changing a floor:
#   make constraints-lowest.txt
LOWEST := .venv-lowest
LOWEST_TESTS ?= tests/test_design.py tests/test_settings_spelling.py tests/load tests/sample \
	tests/test_cli.py tests/test_units.py tests/test_layer.py tests/test_export.py tests/test_app.py
test-lowest: install
	test -x $(LOWEST)/bin/python || python3 -m venv $(LOWEST)
	$(UV) pip install --quiet --python $(LOWEST)/bin/python -r constraints-lowest.txt
	$(UV) pip install --quiet --python $(LOWEST)/bin/python --no-deps -e .
	$(LOWEST)/bin/python -m pytest -p no:cacheprovider -q -n 2 -m "not browser and not real_data" \
		$(LOWEST_TESTS)

constraints-lowest.txt: pyproject.toml | $(PY)
	$(UV) pip compile pyproject.toml --extra test --resolution lowest-direct \
		--python-version 3.11 --no-header --quiet -o $@.tmp
	(sed -n '1,4p' $@; cat $@.tmp) > $@.new && rm $@.tmp && mv $@.new $@

lint: install
	$(VENV)/bin/ruff check crimedash tests benchmarks app.py

format: install
	$(VENV)/bin/ruff format crimedash tests benchmarks app.py
	$(VENV)/bin/ruff check --fix crimedash tests benchmarks app.py

# National-shaped data (benchmarks/national_data.py, cached in benchmarks/.cache/):
# `make bench-national` and `make bench` run 1M and 5M rows (issue 16 asks for both; the
# 5M run is about 15 minutes on 2 busy cores): `make bench BENCH_5M=` leaves it out.
NATIONAL_ROWS ?= 1000000 5000000
BENCH_5M ?= 5000000

bench: install
	$(UV) pip install --quiet --python $(PY) -e '.[test,bench]'
	$(PY) benchmarks/load.py --rows 1000000
	$(PY) benchmarks/engine.py --rows 1000000
	$(PY) benchmarks/attack.py --rows 1000000
	$(PY) benchmarks/designlog.py --designs 2000 --assessment-kb 50
	$(PY) benchmarks/stale.py --rows 1000000
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

# Mutation testing of the model, disclosure control, the layer and the export's guards
# (see [tool.mutmut] in pyproject.toml and docs/development.md). Each mutant runs only
# the fast tests that reach its function (tests/mutation/ and two small files); the whole
# run is about an hour on a shared 2-core machine. It resumes where it stopped; MUTANTS
# narrows it (and reruns those named), e.g. make mutants MUTANTS='crimedash.risk.*'.
# nice and two children leave the machine to others.
MUTANTS ?=
mutants: install
	$(UV) pip install --quiet --python $(PY) -e '.[test,dev]'
	nice -n 5 $(VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
	$(VENV)/bin/mutmut results
	$(PY) tests/mutation/rates.py

clean:
	rm -rf $(VENV) $(LOWEST) .pytest_cache .hypothesis build dist mutants

# Screenshots for docs/screenshots/ (needs Chromium; real police.uk files beside the project)
screenshots: install
	$(PY) docs/screenshots.py
