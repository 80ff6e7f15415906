-- Whether an agent has any Q&A pair (issue 15): the turn's one read asks it on every turn
-- (HAS_PAIRS in adapters/postgres/curated.py). qa_pairs' only index led with (account_id,
-- source_id), so the check walked every pair of the account to find (or not) one of the agent:
-- an account whose other agents hold 100,000 pairs read 100,000 index entries for an agent with
-- none. With the agent in the key it reads at most one entry. (A plain CREATE INDEX: it blocks
-- writes to qa_pairs while it builds, a table of at most a few thousand rows per agent.)
CREATE INDEX qa_pairs_agent ON qa_pairs (account_id, agent_id);
