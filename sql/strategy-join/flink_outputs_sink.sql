-- strategy-join, strategies job sink, Flink DDL: one Kafka table over the four X_output topics.
-- Concept: a sink that writes each row to the topic its writable `topic` metadata column names
-- (one of those listed in 'topic'); the Spark twin writes a `topic` column the same way. The Kafka
-- key is the record's key (raw bytes), the value the JSON of every physical column.
CREATE TEMPORARY TABLE strategy_outputs (
    strategy STRING,
    key STRING,
    ts STRING,
    `value` DOUBLE,
    `result` DOUBLE,
    output_topic STRING METADATA FROM 'topic'
) WITH (
    'connector' = 'kafka',
    'topic' = '${OUTPUT_TOPICS}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'key.format' = 'raw',
    'key.fields' = 'key',
    'value.format' = 'json',
    'value.fields-include' = 'ALL'
)
