# Two commands set everything up: `make run` and `make test` (see README.md).
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8501

.PHONY: run test install lint format bench clean

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

bench: install
	$(PY) benchmarks/load.py --rows 1000000
	$(PY) benchmarks/engine.py --rows 1000000
	$(PY) benchmarks/attack.py --rows 1000000
	$(PY) benchmarks/designlog.py --designs 2000 --assessment-kb 50

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist
