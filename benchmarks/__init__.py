"""`streamlab bench`: Flink against Spark on one Kafka cluster, measured the way the published
benchmarks do it (REFERENCE.md: Karimov et al., Nexmark, the Yahoo benchmark).

    profiles.py    what runs: engine variants, the tiny/short/full profiles, the equal settings
    harness.py     plans the runs, runs them one engine at a time, shows progress, writes results.json
    runs.py        the kinds of run: drain, latency, sustainable (and the context they share)
    ceiling.py     the ceiling: Kafka perf tools and relay/Relay.java, what the broker does without an engine
    processes.py   the child processes (engine job, generator, collector, JVM tools), sampled with psutil
    engine_job.py  one engine job in its own process, started as `streamlab run` starts it
    generator.py   the open-loop event generator (confluent-kafka), stamping scheduled send times
    collector.py   reads the output topics, append time vs newest event time, per record
    latency.py     the arithmetic: HdrHistogram percentiles, warm-up cut, "fell behind", "keeps growing"
    events.py      the benchmark's events (behavior events; windowed messages) and what a correct run outputs
    outputs.py     checks a drain's output against what was sent (in streamlab.compare's words)
    grouping.py    runs grouped by what they measured, and their medians: read by the three below
    report.py      report.md: medians, ratios, targets; plots.py its PNGs; compare.py `bench compare A B`

Nothing in streamlab/ imports this package except the CLI's `bench` command.
"""
