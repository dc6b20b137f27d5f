-- sales-batch rejected-lines sink, Flink DDL: the refused lines and why, as CSV under rejected/.
CREATE TEMPORARY TABLE sales_rejected (
    raw_line STRING,
    reason STRING
) WITH (
    'connector' = 'filesystem',
    'path' = '${REJECTED_DIR}',
    'format' = 'csv',
    'csv.quote-character' = '"'
)
