-- Uploads read Excel workbooks, PowerPoint decks and EPUB books too.
ALTER TABLE documents DROP CONSTRAINT documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('text', 'markdown', 'html', 'pdf', 'docx', 'csv', 'xlsx', 'pptx', 'epub'));
