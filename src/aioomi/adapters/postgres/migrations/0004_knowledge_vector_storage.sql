-- Keep vectors in the row, not in TOAST: a 1,536-dim halfvec is 3 kB, over the 2 kB threshold,
-- so by default each one went to the TOAST table and every distance computed by an exact search
-- (and every heap fetch of an HNSW scan) read a second page. MAIN (not PLAIN) still lets a
-- vector too big for a page (over ~4,000 dims) go out of line rather than fail the insert.
-- Applies to rows written from now on.
ALTER TABLE knowledge_chunks ALTER COLUMN embedding SET STORAGE MAIN;
