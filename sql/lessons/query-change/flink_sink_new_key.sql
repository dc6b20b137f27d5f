-- behavior-stats, lesson query-change: the upsert-kafka sink of new_key.sql, keyed by (category, behavior, user_id).
-- Concept: the sink's primary key follows the query's grouping key (one row per key).
CREATE TEMPORARY TABLE behavior_stats (
    category STRING,
    behavior STRING,
    user_id STRING,
    behavior_count BIGINT,
    update_time STRING,
    last_event_ts STRING,
    PRIMARY KEY (category, behavior, user_id) NOT ENFORCED
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
