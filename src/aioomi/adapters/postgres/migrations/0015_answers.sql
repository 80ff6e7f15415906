-- Answers a site owner can trust (issue 14): titles in the index, the relevance gate's
-- calibrated default, at most max_citations citations, unanswered turns.
-- The data changes below cross tenants: this transaction acts as the system.
SELECT set_config('aioomi.system', 'on', true);

-- Every chunk is searched with its document's title (a weighted BM25 field and the first line
-- of its embedded text). Existing chunks get it from the re-index jobs queued below.
ALTER TABLE knowledge_chunks ADD COLUMN title text NOT NULL DEFAULT '';

-- A grounded turn that no passage passed the gate for is recorded as unanswered.
ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_status_check;
ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_status_check
    CHECK (status IN ('streaming', 'complete', 'failed', 'unanswered'));

-- At most this many sources per answer (one per document).
ALTER TABLE agents ADD COLUMN max_citations smallint NOT NULL DEFAULT 3 CHECK (max_citations BETWEEN 1 AND 10);

-- min_relevance is now on the calibrated 0-1 scale (0.5 = the measured gate of the agent's
-- embedding model). The old default 0 let every chunk through; agents still on it get the
-- new default (an owner who wants no gate sets 0 again).
UPDATE agents SET min_relevance = 0.5 WHERE min_relevance = 0;

-- Re-index every ready document with its title, in the background; each document's chunks are
-- replaced in one transaction, so the knowledge base stays searchable throughout.
INSERT INTO jobs (id, kind, payload, max_attempts, dedupe_key)
SELECT 'job_' || translate(substr(md5(d.id || ':reindex-0015'), 1, 26), '0189', 'wxyz'),
       'documents.reindex',
       jsonb_build_object('account_id', d.account_id, 'document_id', d.id, 'version', d.version),
       10,
       'documents.reindex:0015:' || d.id
FROM documents d WHERE d.status = 'ready';
