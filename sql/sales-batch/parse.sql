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
-- REGEXP first. The patterns avoid backslashes, which Spark string literals would unescape, and
-- end in (?!.) under (?s), "nothing after", because $ would also match before a final line break.
-- A quoted field is "[^"]*(?:""[^"]*)*": Java matches a repeated (?:a|b) by recursion, one level
-- per character, and a long field would overflow the stack.
-- A line whose price and quantity fields name the columns ("price", "quantity", any case, spaces
-- around) is a header, not a sale: it is set aside as 'header line', not as malformed. The date is
-- not checked: the totals do not read it (each parse step checks what its query uses).
-- Cost: Flink merges this subquery into the outer SELECT and evaluates an expression at every
-- place it is used (its plan shows each REGEXP_EXTRACT several times), where Spark's code
-- generation computes a repeated subexpression once; so each field is referred to as few times
-- as possible (see `streamlab explain flink sales-batch`).
SELECT
    product_id,
    category,
    TRY_CAST(price_text AS DOUBLE) AS price,
    TRY_CAST(quantity_text AS BIGINT) AS quantity,
    transaction_date,
    CASE
        WHEN NOT REGEXP(line, '(?s)^${ROW_PATTERN}(?!.)') THEN 'expected 5 comma-separated columns'
        WHEN LOWER(TRIM(price_text)) = 'price' AND LOWER(TRIM(quantity_text)) = 'quantity' THEN 'header line'
        WHEN NOT REGEXP(price_text, '(?s)^-?[0-9]{1,12}([.][0-9]{1,6})?(?!.)') THEN 'price is not a number'
        WHEN NOT REGEXP(quantity_text, '(?s)^-?[0-9]{1,9}(?!.)') THEN 'quantity is not a whole number'
    END AS reject_reason,
    line
FROM (
    SELECT
        line,
        REGEXP_EXTRACT(line, '(?s)^${ROW_PATTERN}(?!.)', 1) AS product_id,
        -- a quoted field loses its outer quotes, and "" inside becomes " (a bare field has no quotes).
        -- Not REGEXP_REPLACE(f, '^"(.*)"$', '$1'): Spark expands $1 in the replacement, Flink
        -- inserts the two characters "$1" literally.
        REPLACE(REGEXP_REPLACE(REGEXP_EXTRACT(line, '(?s)^${ROW_PATTERN}(?!.)', 2), '^"|"$', ''), '""', '"') AS category,
        REPLACE(REGEXP_REPLACE(REGEXP_EXTRACT(line, '(?s)^${ROW_PATTERN}(?!.)', 3), '^"|"$', ''), '""', '"') AS price_text,
        REPLACE(REGEXP_REPLACE(REGEXP_EXTRACT(line, '(?s)^${ROW_PATTERN}(?!.)', 4), '^"|"$', ''), '""', '"') AS quantity_text,
        REGEXP_EXTRACT(line, '(?s)^${ROW_PATTERN}(?!.)', 5) AS transaction_date
    FROM sales_lines
) AS split_line
