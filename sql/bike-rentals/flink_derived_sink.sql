-- bike-rentals derived events sink, Flink DDL: the derive job's events, keyed by station like the producer's.
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
    'key.format' = 'raw',
    'key.fields' = 'stt_id',
    'value.format' = 'json',
    'value.fields-include' = 'ALL'
)
