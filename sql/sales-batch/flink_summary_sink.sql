-- sales-batch result sink, Flink DDL: headerless CSV part files under summary/.
-- Concept: the filesystem sink in batch mode writes its files once, at the end of the job. A
-- category with a comma or a quote in it is quoted, RFC 4180 style (Spark's twin: quote and
-- escape both set to '"').
CREATE TEMPORARY TABLE sales_summary (
    category STRING,
    total_revenue DOUBLE,
    avg_price DOUBLE,
    total_quantity BIGINT,
    transaction_count BIGINT
) WITH (
    'connector' = 'filesystem',
    'path' = '${SUMMARY_DIR}',
    'format' = 'csv',
    'csv.field-delimiter' = ',',
    'csv.quote-character' = '"'
)
