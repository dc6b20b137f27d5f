-- sales-batch source, Flink DDL: the CSV file as one STRING per line.
-- Concept: the filesystem connector with the 'raw' format reads a text file line by line,
-- so parse.sql sees every line, malformed ones included (Spark's twin: spark.read.text).
CREATE TEMPORARY TABLE sales_lines (
    line STRING
) WITH (
    'connector' = 'filesystem',
    'path' = '${INPUT_PATH}',
    'format' = 'raw',
    'raw.charset' = 'UTF-8'
)
