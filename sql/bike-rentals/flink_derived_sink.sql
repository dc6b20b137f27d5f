-- bike-rentals derived events sink, Flink DDL: the derive job's events, keyed by station like the producer's.
-- Delivery (--delivery): at-least-once writes at once, and after a crash again what it wrote since the last
-- checkpoint; exactly-once writes in transactions committed per checkpoint: read_committed readers see each once.
CREATE TEMPORARY TABLE bike_derived_events (
    stt_id STRING,
    stt_nm STRING,
    rent_cnt BIGINT,
    return_cnt BIGINT,
    lst_prk_cnt BIGINT,
    stt_lttd STRING,
    stt_lgtd STRING,
    crt_dttm STRING
) WITH (
    'connector' = 'kafka',
    'topic' = '${DERIVED_TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'sink.delivery-guarantee' = '${DELIVERY_GUARANTEE}',
    'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID_PREFIX}',
    'properties.transaction.timeout.ms' = '${TRANSACTION_TIMEOUT_MS}',
    'key.format' = 'raw',
    'key.fields' = 'stt_id',
    'value.format' = 'json',
    'value.fields-include' = 'ALL'
)
