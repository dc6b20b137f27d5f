-- sales-batch rejected lines (shared by Flink and Spark): every line the parse step refused.
-- Concept: bad input is set aside with its reason instead of being dropped, so
-- lines in the file = transactions counted + lines rejected can be checked.
SELECT
    line AS raw_line,
    reject_reason AS reason
FROM sales_checked
WHERE reject_reason IS NOT NULL
