"""The versions this checkout runs: Java, Python, the broker, both engines and every Kafka client."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

from streamlab import cluster, jars


def components() -> dict[str, str]:
    """component -> version, as `streamlab versions` prints them and results.json records them."""
    java = subprocess.run([cluster.java_executable(), "-version"], capture_output=True, text=True).stderr
    flink_kafka_clients = jars.artifact_version("flink", "kafka-clients", shaded_in="flink-sql-connector-kafka")
    return {
        "Java": java.splitlines()[0] if java else "?",
        "Python": sys.version.split()[0],
        "Apache Kafka broker": jars.artifact_version("kafka", "kafka_2.13"),
        "Apache Flink (apache-flink)": version("apache-flink"),
        "flink-sql-connector-kafka": jars.artifact_version("flink", "flink-sql-connector-kafka"),
        "flink-parquet / hadoop-client-api": f"{jars.artifact_version('flink', 'flink-parquet')} / "
        f"{jars.artifact_version('flink', 'hadoop-client-api')}",
        "Apache Spark (pyspark)": version("pyspark"),
        "spark-sql-kafka-0-10_2.13": jars.artifact_version("spark", "spark-sql-kafka-0-10_2.13"),
        "Kafka clients: Flink / Spark / Python": f"{flink_kafka_clients} / "
        f"{jars.artifact_version('spark', 'kafka-clients')} / kafka-python {version('kafka-python')}, "
        f"confluent-kafka {version('confluent-kafka')}",
    }
