"""Spark Structured Streaming twins, one module per workload: same SQL text, Spark wiring around it."""
