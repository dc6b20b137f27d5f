-- shared source, Flink DDL (every streaming workload): a topic as a table of checked records, each parsed once.
-- Concept: validation inside the source's format. 'format' = 'streamlab-json' (the lab's own, built by
-- `make setup` from jars/checks) parses each value once and keeps every record: payload (the value as
-- text), reject_reason (NULL when valid, else the first failing check: the value is empty, not UTF-8, too
-- large, not one JSON object, then the fields ${FIELD_RULES}: missing, of another JSON type, out of range)
-- and one column per field with its value, NULL where that field fails. Flink's own 'json' format could
-- only fail the job on a bad record or drop it without a trace ('json.ignore-parse-errors'); the JSON
-- functions (JSON_VALUE, JSON_QUERY) keep no parsed document, so reading five fields through them parsed the
-- record about fifteen times (docs/design/parse-once.md). Spark's twin parses once too, into a VARIANT
-- (spark_envelope.sql). The metadata columns come from the Kafka connector, not the format.
-- With --bounded, 'scan.bounded.mode' = 'latest-offset': read up to the end offsets seen at start, then
-- finish (Spark's twin is trigger(availableNow=True)).
CREATE TEMPORARY TABLE ${TABLE_NAME} (
    payload STRING,
    reject_reason STRING${FIELD_COLUMNS},
    kafka_topic STRING METADATA FROM 'topic' VIRTUAL,
    kafka_partition INT METADATA FROM 'partition' VIRTUAL,
    kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL
) WITH (
    'connector' = 'kafka',
    'topic' = '${TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'properties.group.id' = '${GROUP_ID}',
    -- records of aborted transactions (an exactly-once writer killed mid-checkpoint) are never read
    'properties.isolation.level' = 'read_committed',
    'scan.startup.mode' = '${STARTUP_MODE}',
    'scan.bounded.mode' = '${BOUNDED_MODE}',
    'format' = 'streamlab-json',
    'streamlab-json.fields' = '${FIELD_RULES}',
    'streamlab-json.max-value-chars' = '${MAX_VALUE_CHARS}'
)
