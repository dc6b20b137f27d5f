"""Sessions for the two engines, configured the same way for every job.

Both engines get the same parallelism (Flink parallelism = Spark local cores = shuffle
partitions), UTC as the session time zone (the producers stamp UTC), and their connector
jars from jars/ — checked before a JVM starts, so a missing jar is "run make setup".
pyflink and pyspark are imported here, lazily, so the CLI starts fast and one engine's
import problems never break the other.

The modules: flink (the TableEnvironment, FlinkJob), spark (the SparkSession, Kafka source and sink,
SparkJob), checkpoints (what a restart resumes from), jobs (RunningJob, Pipeline, the engines' own output).
Jobs and the lab call them through this package: `engines.flink_table_env(...)`, `engines.SparkJob(...)`.
"""

from streamlab.engines.checkpoints import (
    Checkpoint,
    describe_start,
    latest_flink_checkpoint,
    resume_points,
    spark_checkpoints,
    spark_pinned_conf,
)
from streamlab.engines.flink import FLINK_CHECKPOINT_INTERVAL, FlinkJob, flink_table_env
from streamlab.engines.jobs import ACTIVE_STATES, LOOPBACK, FinishedJob, Pipeline, RunningJob
from streamlab.engines.spark import (
    SparkJob,
    spark_checkpoint,
    spark_kafka_sink,
    spark_kafka_source,
    spark_plan,
    spark_session,
    spark_trigger,
)

__all__ = [
    "ACTIVE_STATES",
    "FLINK_CHECKPOINT_INTERVAL",
    "LOOPBACK",
    "Checkpoint",
    "FinishedJob",
    "FlinkJob",
    "Pipeline",
    "RunningJob",
    "SparkJob",
    "describe_start",
    "flink_table_env",
    "latest_flink_checkpoint",
    "resume_points",
    "spark_checkpoint",
    "spark_checkpoints",
    "spark_pinned_conf",
    "spark_kafka_sink",
    "spark_kafka_source",
    "spark_plan",
    "spark_session",
    "spark_trigger",
]
