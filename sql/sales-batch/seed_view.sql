-- sales-batch, the seed's reader (shared by Flink and Spark): the leniently parsed rows as sales_checked.
-- Concept: with the engine's own lenient CSV parser there is nothing to reject: every row it kept
-- counts, so query.sql runs unchanged over whatever the parser let through.
SELECT
    product_id,
    category,
    price,
    CAST(quantity AS BIGINT) AS quantity,
    transaction_date,
    CAST(NULL AS STRING) AS reject_reason
FROM sales
