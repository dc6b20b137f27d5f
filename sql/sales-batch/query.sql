-- sales-batch (shared by Flink and Spark): totals per category over a finite file, in batch mode.
-- Concept: the same GROUP BY as a streaming job, but over bounded input: Flink in batch mode
-- (EnvironmentSettings.in_batch_mode(): sort-based aggregation, one final row per category, no
-- changelog) and Spark's batch DataFrame API run this text unchanged. The output is final rows
-- only, so it can go to a plain CSV file sink.
SELECT
    category,
    SUM(price * quantity) AS total_revenue,
    AVG(price) AS avg_price,
    SUM(quantity) AS total_quantity,
    COUNT(*) AS transaction_count
FROM sales_checked
WHERE reject_reason IS NULL
GROUP BY category
