-- windowed-messages (shared by Flink and Spark): the messages the window counts.
-- Concept: only what passed the parse step reaches the window; the rest went to the dead letters.
SELECT ts
FROM messages_checked
WHERE reject_reason IS NULL
