-- behavior-stats, lesson query-change: the upsert-kafka sink of extra_column.sql, with its column last_event_day.
-- Concept: a Flink sink table declares its columns, so a query with one more column needs a sink with it.
-- The sink keeps no state of its columns: the checkpoint restores into it as before.
CREATE TEMPORARY TABLE behavior_stats (
    category STRING,
    behavior STRING,
    behavior_count BIGINT,
    update_time STRING,
    last_event_ts STRING,
    last_event_day STRING,
    PRIMARY KEY (category, behavior) NOT ENFORCED
) WITH (
    'connector' = 'upsert-kafka',
    'topic' = '${OUTPUT_TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'sink.delivery-guarantee' = '${DELIVERY_GUARANTEE}',
    'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID_PREFIX}',
    'properties.transaction.timeout.ms' = '${TRANSACTION_TIMEOUT_MS}',
    'key.format' = 'json',
    'value.format' = 'json'
)
