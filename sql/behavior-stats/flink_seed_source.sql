-- behavior-stats, the seed's reader, Flink DDL: 'format' = 'json' with 'json.ignore-parse-errors'.
-- Concept: what a lenient format does with bad input, kept to be measured (`streamlab seed-json`).
-- The columns and options are the seed's (004, section 2); only the topic, the cluster and the
-- bounded read are this run's. A record the JSON format cannot parse is dropped without a trace;
-- a missing field ('json.fail-on-missing-field' = 'false') or a value of another type that the
-- format can still convert becomes NULL or text, and the row is counted: nothing is rejected.
CREATE TEMPORARY TABLE user_behaviors_seed (
    user_id STRING,
    item_id STRING,
    category STRING,
    behavior STRING,
    ts TIMESTAMP(3)
) WITH (
    'connector' = 'kafka',
    'topic' = '${TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'properties.group.id' = '${GROUP_ID}',
    'scan.startup.mode' = 'earliest-offset',
    'scan.bounded.mode' = 'latest-offset',
    'format' = 'json',
    'json.fail-on-missing-field' = 'false',
    'json.ignore-parse-errors' = 'true'
)
