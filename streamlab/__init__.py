"""streamlab: the shared runtime of the Flink-vs-Spark lab (settings, cluster, Kafka admin, CLI)."""
