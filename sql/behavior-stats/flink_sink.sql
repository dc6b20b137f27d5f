-- behavior-stats sink, Flink DDL: an upsert-kafka table keyed by (category, behavior).
-- Concept: the primary key turns the aggregate's update stream into upserts; Kafka keys are
-- the JSON key {"category":..,"behavior":..} and a compacted topic keeps the latest per key.
CREATE TEMPORARY TABLE behavior_stats (
    category STRING,
    behavior STRING,
    behavior_count BIGINT,
    update_time STRING,
    last_event_ts STRING,
    PRIMARY KEY (category, behavior) NOT ENFORCED
) WITH (
    'connector' = 'upsert-kafka',
    'topic' = '${OUTPUT_TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'key.format' = 'json',
    'value.format' = 'json'
)
