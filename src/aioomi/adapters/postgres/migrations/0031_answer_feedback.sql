-- The owner's improvement loop (issue 19), part 1: a visitor's thumbs up or down on an answer,
-- with an optional comment, stored with the message it rates. It goes with the conversation
-- (session deletion, retention, erasure cascade to chat_messages) and with it into exports.
ALTER TABLE chat_messages ADD COLUMN feedback jsonb CHECK (
    feedback IS NULL OR (
        jsonb_typeof(feedback) = 'object'
        AND feedback->>'rating' IN ('up', 'down')
        AND (feedback->'comment' IS NULL OR jsonb_typeof(feedback->'comment') = 'null'
             OR length(feedback->>'comment') <= 1000)
        AND role = 'assistant'
    )
);
-- The owner's list of rated answers (and the disliked questions) per agent.
CREATE INDEX chat_messages_feedback ON chat_messages (account_id, agent_id) WHERE feedback IS NOT NULL;
