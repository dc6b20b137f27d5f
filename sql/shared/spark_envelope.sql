-- shared envelope check, Spark dialect (every streaming workload): is the raw value one JSON object?
-- Concept: the first half of validation, the same for every topic, and parse once, then read fields.
-- The value is parsed once, into a VARIANT `v`, which the workload's parse step reads its fields and
-- their JSON types from (variant_get, schema_of_variant: lookups in the parsed binary, not parses).
-- Flink's twin is its source's format ('streamlab-json', jars/checks/.../RecordCheck.java, see
-- flink_raw_source.sql), which reaches the same verdict on the same bytes, as the pandas oracle does:
--   not UTF-8:   Spark's CAST(value AS STRING) keeps invalid bytes: is_valid_utf8 sees them. Flink's
--                format decodes with a U+FFFD for each invalid sequence, so a genuine U+FFFD is refused
--                on both engines alike (on Flink it is the only trace of a bad byte).
--   JSON object: try_parse_json rejects lone surrogate escapes (\ud800), as the format does, but
--                accepts trailing text after the first value, as Jackson does: the end anchor below (the
--                format's twin) makes both strict. Duplicate keys keep the last value
--                (spark.sql.variant.allowDuplicateKeys, set by the session), as the format and Python's
--                json do.
--   A Spark string literal turns \t \r \n into the characters themselves, which the regex accepts.
SELECT
    *,
    CASE
        WHEN payload IS NULL OR payload = '' THEN 'empty value'
        WHEN NOT is_valid_utf8(payload) OR instr(payload, '\uFFFD') > 0 THEN 'not UTF-8'
        WHEN char_length(payload) > ${MAX_VALUE_CHARS} THEN 'too large'
        WHEN v IS NULL
            OR NOT payload RLIKE '^[ \t\r\n]*[{]'
            OR NOT payload RLIKE '(?s)[}][ \t\r\n]*(?!.)'
            THEN 'not a JSON object'
    END AS envelope_reason
FROM (
    SELECT
        *,
        CASE
            WHEN payload <> '' AND is_valid_utf8(payload) AND char_length(payload) <= ${MAX_VALUE_CHARS}
                THEN try_parse_json(payload)
        END AS v
    FROM ${RECORDS}
)
