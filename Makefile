# Quick start: `make run` serves the dashboard at http://localhost:8501; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint unit bench bench-load screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	@$(BIN)/python -m kpi.browser_check || true
	$(BIN)/python serve.py run app.py --server.port $(PORT)

# axe-core for the accessibility tests (npm, pinned in package-lock.json)
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .

test: $(VENV)/.dev-deps lint node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q -m "not alone"
	$(BIN)/python -m pytest -q -m alone

unit: $(VENV)/.dev-deps
	$(BIN)/python -m pytest -q -m "not browser"

# Every page in Chromium at 1400 px, 390 px and 200 % zoom, into screenshots/ (a dashboard is served for the run)
screenshots: $(VENV)/.dev-deps
	$(BIN)/python tools/screenshots.py --out screenshots --data-dir examples/departments

bench: $(VENV)/.dev-deps
	$(BIN)/python bench/bench_pages.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_import.py --unique
	$(BIN)/python bench/bench_export.py
	$(BIN)/python bench/bench_browser.py
	$(BIN)/python bench/bench_city.py

# Capacity on the server: 20, 100 and 200 sessions at once over Streamlit's protocol, one server and two behind nginx
bench-load: $(VENV)/.dev-deps
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
