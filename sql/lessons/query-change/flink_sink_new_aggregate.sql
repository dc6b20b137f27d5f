-- behavior-stats, lesson query-change: the upsert-kafka sink of new_aggregate.sql, with its column first_event_ts.
-- Concept: a Flink sink table declares its columns, so a query with one more column needs a sink with it.
CREATE TEMPORARY TABLE behavior_stats (
    category STRING,
    behavior STRING,
    behavior_count BIGINT,
    update_time STRING,
    last_event_ts STRING,
    first_event_ts STRING,
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
