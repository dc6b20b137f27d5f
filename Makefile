# streamlab: Apache Flink vs Apache Spark on real Kafka data.
# Every target runs `setup` first (idempotent: it only redoes what its inputs changed).

WORKLOAD ?= behavior-stats
PYTHON   ?= python3
VENV     := .venv
STREAMLAB := $(VENV)/bin/streamlab
VENV_STAMP := $(VENV)/.installed
JARS_STAMP := jars/.resolved
JAR_POMS := jars/pom.xml $(wildcard jars/*/pom.xml)
# the lab's own Java (the record check of every Flink source), built by the same Maven run
CHECKS_SOURCES := $(shell find jars/checks/src -type f)

.PHONY: help setup prereqs flink-run spark-run dashboard bench compare test test-slow test-unit lint versions \
        cluster-up cluster-down cluster-status results clean jars-lock constraints

help:
	@echo "make flink-run   start everything and show $(WORKLOAD) live on Flink"
	@echo "make spark-run   the same workload on Spark"
	@echo "make dashboard   a live web page of every running job of both engines (PORT=8050)"
	@echo "make test        lint, format check, unit tests, every workload on both engines vs pandas (~10 min)"
	@echo "make test-slow   the slow tier: chaos, demos, validation matrix, clusters, listeners, the tiny bench"
	@echo "make bench       Flink vs Spark latency and throughput, short profile (PROFILE=full: about an hour)"
	@echo "make compare     every workload on both engines, one input: writes docs/ENGINES.md (~10 min)"
	@echo "make cluster-up | cluster-down | cluster-status   the embedded Kafka (BROKERS=3 for three)"
	@echo "make results     print the result table of WORKLOAD"
	@echo "make setup       build .venv and resolve the JVM jars (done by every target)"

setup: $(VENV_STAMP) $(JARS_STAMP)

prereqs:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || \
	  { echo "error: Python 3.11 is needed as '$(PYTHON)' (set PYTHON=/path/to/python3.11)"; exit 2; }
	@java -version 2>&1 | grep -Eq 'version "(1[7-9]|2[0-9])' || \
	  { echo "error: Java 17 or newer is needed on PATH (e.g. apt-get install openjdk-17-jdk-headless)"; exit 2; }
	@command -v mvn >/dev/null || { echo "error: Maven is needed on PATH (e.g. apt-get install maven)"; exit 2; }

# Every Python package is pinned by constraints.txt, transitive ones and pip and setuptools included
# (PIP_CONSTRAINT reaches the isolated build of the editable install too); `make constraints` refreshes it.
# setuptools' editable build warns that folders named like the package take precedence: here they are
# the package, on purpose, so that one message is silenced (PYTHONWARNINGS reaches the build backend).
$(VENV_STAMP): pyproject.toml constraints.txt | prereqs
	@echo "==> building $(VENV) (first time: a few minutes, pyspark is a large download)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -c constraints.txt pip setuptools
	PIP_CONSTRAINT=constraints.txt PYTHONWARNINGS="ignore:Editable installation" \
	  $(VENV)/bin/pip install --quiet --progress-bar on -e '.[dev]'
	$(VENV)/bin/pip check
	@touch $@

# After changing a version in pyproject.toml: resolve everything afresh in a scratch venv, record every pin.
constraints: | prereqs
	rm -rf .constraints-venv
	$(PYTHON) -m venv .constraints-venv
	.constraints-venv/bin/pip install --quiet --upgrade pip setuptools
	PYTHONWARNINGS="ignore:Editable installation" .constraints-venv/bin/pip install --quiet -e '.[dev]'
	.constraints-venv/bin/pip freeze --all --exclude-editable > constraints.txt
	rm -rf .constraints-venv

# Maven's -C fails on a checksum mismatch with the repository; SHA256SUMS then pins every downloaded file.
$(JARS_STAMP): $(JAR_POMS) $(CHECKS_SOURCES) jars/SHA256SUMS | prereqs
	@echo "==> resolving JVM jars with Maven into jars/*/lib, building jars/checks"
	mvn --batch-mode --quiet -C -f jars/pom.xml package
	cd jars && sha256sum --quiet --check SHA256SUMS
	@touch $@

# After changing a version in jars/*/pom.xml: re-resolve and record the new checksums.
jars-lock:
	rm -rf jars/*/lib
	mvn --batch-mode --quiet -C -f jars/pom.xml package
	cd jars && sha256sum */lib/*.jar > SHA256SUMS
	@touch $(JARS_STAMP)

flink-run: setup
	$(STREAMLAB) demo flink $(WORKLOAD)

spark-run: setup
	$(STREAMLAB) demo spark $(WORKLOAD)

dashboard: setup
	$(STREAMLAB) dashboard $(if $(PORT),--port $(PORT))

PROFILE ?= short
bench: setup
	$(STREAMLAB) bench --profile $(PROFILE)

# docs/ENGINES.md from real runs: each workload's check on both engines, their plans, and the newest bench
compare: setup
	$(STREAMLAB) compare

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The fast tier: every workload x engine once against pandas, plus the unit tests (tests/tiers.py).
test: setup lint
	$(VENV)/bin/pytest -m 'not slow'

# The slow tier: chaos, demos, the validation matrix, live windows, clusters, listeners, ownership, the bench.
test-slow: setup
	$(VENV)/bin/pytest -m slow

test-unit: setup
	$(VENV)/bin/pytest -m 'not integration'

versions: setup
	@$(STREAMLAB) versions
	@chromium --version 2>/dev/null || echo "chromium: not installed (apt-get install -y chromium chromium-driver)"

cluster-up: setup
	$(STREAMLAB) cluster up $(if $(BROKERS),--brokers $(BROKERS)) $(if $(ENGINES),--engines)

cluster-down: setup
	$(STREAMLAB) cluster down

cluster-status: setup
	$(STREAMLAB) cluster status

results: setup
	$(STREAMLAB) results $(WORKLOAD)

clean:
	-$(STREAMLAB) cluster down 2>/dev/null
	rm -rf .run jars/*/lib $(JARS_STAMP)
