-- sales-batch, the seed's reader (Flink DDL): the CSV format with 'csv.ignore-parse-errors'.
-- Concept: a lenient parser hides bad input. This is the source table of the seed's
-- pyflink_batch_example.py. A field that does not parse becomes NULL and the row stays (COUNT(*)
-- still counts it); a line with too many columns is skipped. Nothing says either happened:
-- `streamlab check sales-batch --job seed-csv` measures how far the totals drift.
CREATE TEMPORARY TABLE sales (
    product_id STRING,
    category STRING,
    price DOUBLE,
    quantity INT,
    transaction_date STRING
) WITH (
    'connector' = 'filesystem',
    'path' = '${INPUT_PATH}',
    'format' = 'csv',
    'csv.field-delimiter' = ',',
    'csv.ignore-parse-errors' = 'true'
)
