-- The pages a website or sitemap source holds: the document each became, the validators for
-- conditional requests (ETag, Last-Modified), the page's links (a website crawl follows them
-- when the page answers 304 Not Modified), and how many consecutive complete runs found it gone.

CREATE TABLE source_pages (
    source_id        text NOT NULL REFERENCES knowledge_sources (id) ON DELETE CASCADE,
    url              text NOT NULL CHECK (length(url) <= 2048),
    account_id       text NOT NULL,
    document_id      text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    etag             text CHECK (length(etag) <= 500),
    last_modified    text CHECK (length(last_modified) <= 100),
    links            jsonb NOT NULL DEFAULT '[]'::jsonb,
    missing_runs     integer NOT NULL DEFAULT 0 CHECK (missing_runs >= 0),
    PRIMARY KEY (source_id, url)
);
CREATE INDEX source_pages_document ON source_pages (document_id);

ALTER TABLE source_pages ENABLE ROW LEVEL SECURITY;
ALTER TABLE source_pages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON source_pages
    USING (aioomi_visible(account_id)) WITH CHECK (aioomi_visible(account_id));
