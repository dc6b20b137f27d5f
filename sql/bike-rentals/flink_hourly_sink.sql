-- bike-rentals hourly sink, Flink DDL: Parquet files partitioned by ymd/hh, committed per partition.
-- Concept: the filesystem sink with partition commit. Files become visible on each checkpoint (Parquet
-- rolls a new file per checkpoint) and at the end of a bounded input; a partition is "committed"
-- (a _SUCCESS file written) once the watermark passes its hour plus a delay of one hour, i.e. when
-- no more rows can arrive for it. The partition time is read back from the ymd and hh values.
CREATE TEMPORARY TABLE bike_hourly (
    stt_id STRING,
    stt_nm STRING,
    rent_cnt BIGINT,
    return_cnt BIGINT,
    lst_prk_cnt BIGINT,
    event_cnt BIGINT,
    lst_crt_dttm STRING,
    stt_lttd STRING,
    stt_lgtd STRING,
    ymd STRING,
    hh STRING
) PARTITIONED BY (ymd, hh) WITH (
    'connector' = 'filesystem',
    'path' = '${OUTPUT_DIR}',
    'format' = 'parquet',
    'sink.partition-commit.trigger' = 'partition-time',
    'partition.time-extractor.timestamp-pattern' = '$ymd $hh:00:00',
    'partition.time-extractor.timestamp-formatter' = 'yyyyMMdd HH:mm:ss',
    'sink.partition-commit.delay' = '1 h',
    'sink.partition-commit.watermark-time-zone' = 'UTC',
    'sink.partition-commit.policy.kind' = 'success-file'
)
