-- passthrough sink, Flink DDL: an append-only Kafka table of purchase intents, keyed by user_id.
-- Concept: a plain 'kafka' sink, not upsert-kafka: the query is insert-only, so every row is a new
-- record and no primary key is needed. The Kafka key is user_id as raw UTF-8 bytes ('key.format' =
-- 'raw' over 'key.fields'), the key the producer used, so an intent lands in the partition number its
-- event came from; the value is the JSON of every column, user_id included ('value.fields-include' =
-- 'ALL'), nulls written as null. Spark's twin (spark_routed.sql) writes the same key and value bytes.
-- Delivery (--delivery): at-least-once writes at once, and after a crash again what it wrote since the last
-- checkpoint; exactly-once writes in transactions committed per checkpoint: read_committed readers see each once.
CREATE TEMPORARY TABLE purchase_intents (
    user_id STRING,
    item_id STRING,
    category STRING,
    behavior STRING,
    ts STRING,
    source_partition INT,
    source_offset BIGINT
) WITH (
    'connector' = 'kafka',
    'topic' = '${OUTPUT_TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'sink.delivery-guarantee' = '${DELIVERY_GUARANTEE}',
    'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID_PREFIX}',
    'properties.transaction.timeout.ms' = '${TRANSACTION_TIMEOUT_MS}',
    'key.format' = 'raw',
    'key.fields' = 'user_id',
    'value.format' = 'json',
    'value.fields-include' = 'ALL'
)
