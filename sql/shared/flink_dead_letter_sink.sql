-- shared dead-letter sink, Flink DDL (every streaming workload): rejected records with their reason.
-- Concept: an append-only Kafka table; with the record's source topic, partition and offset a reader
-- can find the original and check records read = counted + dead letters.
CREATE TEMPORARY TABLE ${TABLE_NAME} (
    raw_value STRING,
    reason STRING,
    source_topic STRING,
    source_partition INT,
    source_offset BIGINT
) WITH (
    'connector' = 'kafka',
    'topic' = '${TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'format' = 'json'
)
