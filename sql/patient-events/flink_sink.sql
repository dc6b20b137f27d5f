-- patient-events sink, Flink DDL: an upsert-kafka table keyed by action.
-- Concept: the primary key turns the aggregate's update stream into upserts; the Kafka key is the
-- JSON {"action": ...} and a compacted topic keeps the latest count per action.
CREATE TEMPORARY TABLE patient_action_counts (
    action STRING,
    event_count BIGINT,
    PRIMARY KEY (action) NOT ENFORCED
) WITH (
    'connector' = 'upsert-kafka',
    'topic' = '${OUTPUT_TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'key.format' = 'json',
    'value.format' = 'json'
)
