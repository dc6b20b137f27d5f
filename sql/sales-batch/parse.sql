-- sales-batch parse step (shared by Flink and Spark): one raw CSV line -> typed columns + a reject reason.
-- Concept: parse what you can, and say why not. The seed reads the file with 'format' = 'csv' and
-- 'csv.ignore-parse-errors' = 'true', which drops or nulls a malformed line without a word. Here each
-- engine reads the file as plain lines (Flink 'format' = 'raw', Spark spark.read.text) and this one
-- SELECT splits them, so both engines apply the same rules and every line is either counted or
-- written to rejected/ with its reason.
-- A field is quoted ("..." with "" for a quote inside, so it may hold commas) or bare (no comma, no
-- quote): the placeholder ROW_PATTERN, the Java regular expression in csv_row.regex,, matches exactly five of
-- them (it is long and used four times, so it lives in that file). Both dialects have
-- REGEXP(s, re) (true if re matches), REGEXP_EXTRACT(s, re, group) and TRY_CAST; the one difference,
-- REGEXP_EXTRACT returning NULL (Flink) or '' (Spark) on no match, never shows: the CASE tests
-- REGEXP first. The patterns avoid backslashes, which Spark string literals would unescape.
SELECT
    product_id,
    category,
    TRY_CAST(price_text AS DOUBLE) AS price,
    TRY_CAST(quantity_text AS BIGINT) AS quantity,
    transaction_date,
    CASE
        WHEN NOT REGEXP(line, '^${ROW_PATTERN}$') THEN 'expected 5 comma-separated columns'
        WHEN NOT REGEXP(price_text, '^-?[0-9]{1,12}([.][0-9]{1,6})?$') THEN 'price is not a number'
        WHEN NOT REGEXP(quantity_text, '^-?[0-9]{1,9}$') THEN 'quantity is not a whole number'
    END AS reject_reason,
    line
FROM (
    SELECT
        line,
        REGEXP_EXTRACT(line, '^${ROW_PATTERN}$', 1) AS product_id,
        -- a quoted field loses its quotes, and "" inside becomes "
        CASE WHEN f2 LIKE '"%' THEN REPLACE(SUBSTRING(f2, 2, CHAR_LENGTH(f2) - 2), '""', '"') ELSE f2 END
            AS category,
        CASE WHEN f3 LIKE '"%' THEN REPLACE(SUBSTRING(f3, 2, CHAR_LENGTH(f3) - 2), '""', '"') ELSE f3 END
            AS price_text,
        CASE WHEN f4 LIKE '"%' THEN REPLACE(SUBSTRING(f4, 2, CHAR_LENGTH(f4) - 2), '""', '"') ELSE f4 END
            AS quantity_text,
        REGEXP_EXTRACT(line, '^${ROW_PATTERN}$', 5) AS transaction_date
    FROM (
        SELECT
            line,
            REGEXP_EXTRACT(line, '^${ROW_PATTERN}$', 2) AS f2,
            REGEXP_EXTRACT(line, '^${ROW_PATTERN}$', 3) AS f3,
            REGEXP_EXTRACT(line, '^${ROW_PATTERN}$', 4) AS f4
        FROM sales_lines
    ) AS extracted
) AS split_line
