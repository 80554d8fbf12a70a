# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
# Rasa's usage data and error reports off for every command here (training too); the stack sets
# it for what it starts whatever the shell says (scripts/stack.py).
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: help venv model run cluster soak test shell lint bench nlu-report eval catalogs generate

help:
	@echo "make run         set up, train if needed, start the assistant, dashboard and patient page"
	@echo "make cluster     2 Rasa + 2 action servers behind HAProxy, on local PostgreSQL and Redis"
	@echo "make soak        200 screenings at once through the cluster while parts fail; nothing lost?"
	@echo "make test        set up, train if needed, run every test"
	@echo "make shell       talk to the assistant in this terminal"
	@echo "make lint        ruff"
	@echo "make bench       one Rasa process against a plain rasa init bot, side by side; engine timings"
	@echo "make nlu-report  NLU accuracy on held-out data, clean and with noise"
	@echo "make catalogs    after changing patient-facing text: update bot/locale/*/patient.po"
	@echo "make generate    after changing the trial's questions, the digressions or the lexicons"
	@echo "make eval         realistic patient conversations against the real stack: accuracy, wrong 'likely eligible', no outcome"

venv:
	@bash scripts/setup_venv.sh

model: venv
	@$(PY) scripts/train_if_stale.py

run: model
	@$(PY) scripts/run.py

# Two Rasa servers and two action servers behind HAProxy, sharing the local PostgreSQL and Redis
# (scripts/cluster.py; settings there and in the README, "Several servers").
cluster: model
	@bash scripts/ensure_test_tools.sh cluster
	@$(PY) scripts/cluster.py

# 200 whole screenings at once (REST and socket.io) through the cluster while a Rasa server and
# an action server are killed and PostgreSQL and Redis restarted (scripts/soak.py; SOAK_ARGS).
soak: model
	@bash scripts/ensure_test_tools.sh cluster
	$(PY) scripts/soak.py $(SOAK_ARGS)

test: model
	@bash scripts/ensure_test_tools.sh
	$(PY) -m pytest

shell: model
	@$(PY) scripts/run.py --shell

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: model
	$(PY) scripts/bench.py

nlu-report: venv
	$(PY) scripts/nlu_report.py

eval: model
	$(PY) scripts/eval.py $(EVAL_ARGS)

# Extract every patient-facing text (bot/locale/patient.cfg) and merge it into each language's
# catalog; new or changed texts then show up untranslated, and tests/bot/test_i18n.py fails
# until they are translated.
catalogs: venv
	PYTHONPATH=. $(VENV)/bin/pybabel -q extract -F bot/locale/patient.cfg -k N_ --no-location \
		--sort-output --project "HN2301 pre-screen" -o bot/locale/patient.pot .
	$(VENV)/bin/pybabel -q update -i bot/locale/patient.pot -d bot/locale -D patient \
		--no-fuzzy-matching --ignore-obsolete

# Rewrite what is generated from one home (README, "Generated files"): the question slots in
# domain.yml and data/generated_rules.yml (scripts/generate_domain.py), and data/nlu/lookups.yml
# with data/jieba/ from the lexicons (scripts/generate_lookups.py). Tests fail while one is stale.
generate: venv
	$(PY) scripts/generate_domain.py
	$(PY) scripts/generate_lookups.py
