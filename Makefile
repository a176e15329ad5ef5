# Darcy: `make demo` to talk to it, `make test` to check it. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
SHARED ?= ../shared
AS     ?= alice
TEST_EXTRAS ?= otel
PYTEST_ARGS ?=

.PHONY: install demo test lint eval bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## Chat with Darcy on the built-in demo workspace (AS=handle, SCRIPT=file of messages)
demo: install
	@$(BIN)/darcy chat --as $(AS) $(if $(SCRIPT),--script $(SCRIPT))

## The whole test suite, and the linter. Tests start their own throw-away PostgreSQL when its server
## binaries are installed (else those variants skip); TEST_EXTRAS are installed for the trace tests.
test: install
	@$(BIN)/python -c 'import opentelemetry.sdk' 2>/dev/null || $(BIN)/python -m pip install --quiet \
		--disable-pip-version-check -e '.[dev,$(TEST_EXTRAS)]' || echo "make: $(TEST_EXTRAS) not installed; trace tests skip"
	@$(BIN)/ruff check .
	@$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	@$(BIN)/ruff check .

## Score the offline planner on the public labelled requests and on our own frozen held-out set
HELDOUT ?= tests/fixtures/heldout.jsonl
eval: install
	@mkdir -p build
	@echo "== public: $(SHARED)/eval/public.jsonl"
	@$(BIN)/darcy eval $(SHARED)/eval/public.jsonl --out build/predictions.jsonl
	@$(BIN)/python $(SHARED)/eval/score.py $(SHARED)/eval/public.jsonl build/predictions.jsonl
	@echo "== held-out (frozen; its last misses were studied as classes, so it overstates): $(HELDOUT)"
	@$(BIN)/darcy eval $(HELDOUT) --out build/heldout-predictions.jsonl
	@$(BIN)/python $(SHARED)/eval/score.py $(HELDOUT) build/heldout-predictions.jsonl \
		--workspace config/demo-workspace.json

## Benchmarks: prints a table and writes bench/results.json
bench: install
	@$(BIN)/python -m bench

## The long reliability run: 200 simulated users for 60 s on the emulators
soak: install
	@$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
