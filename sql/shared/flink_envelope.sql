-- shared envelope check, Flink dialect (every streaming workload): is the raw value one JSON object?
-- Concept: the first half of validation, the same for every topic. The Kafka table ${RECORDS} reads
-- values as text; this view adds envelope_reason, NULL when the value is a JSON object the field checks
-- of the workload's parse step can read, else the first failing reason. spark_envelope.sql is the twin;
-- the two dialects differ, and the checks are written so both engines (and the pandas oracle) reach
-- the same verdict on the same bytes:
--   not UTF-8:   Flink's raw format keeps the bytes as they came; a function that reads the text
--                as Java characters (REGEXP, JSON_VALUE) sees U+FFFD for each invalid sequence, while
--                POSITION compares bytes and would miss it. So a U+FFFD seen by REGEXP is the sign (a
--                genuine U+FFFD is rejected on all three alike). Spark has is_valid_utf8.
--   JSON object: Flink `IS JSON OBJECT` accepts trailing text after the object and lone surrogate
--                escapes (\ud800); Spark's try_parse_json rejects the surrogate and Python rejects the
--                trailing text, so the two regular expressions below make Flink strict where needed.
--                A Flink string literal keeps backslashes as written, so the regex text is Java's own.
SELECT
    *,
    CASE
        WHEN payload IS NULL OR CHAR_LENGTH(payload) = 0 THEN 'empty value'
        WHEN REGEXP(payload, U&'\FFFD') THEN 'not UTF-8'
        WHEN CHAR_LENGTH(payload) > ${MAX_VALUE_CHARS} THEN 'too large'
        WHEN NOT (payload IS JSON OBJECT)
            -- nothing but white space after the closing brace
            OR NOT REGEXP(payload, '(?s)[}][ \t\r\n]*(?!.)')
            -- a \uD800-\uDBFF escape without its low half, or a \uDC00-\uDFFF one without its high half
            OR REGEXP(payload, '(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)(?:\\\\)*\\u[dD][c-fC-F][0-9a-fA-F]{2}')
            THEN 'not a JSON object'
    END AS envelope_reason
FROM ${RECORDS}
