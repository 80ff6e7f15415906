"""docs/api.md and the code agree on error codes: every code the code can answer with is in one
of docs/api.md's code tables, and every code in those tables is one the code uses. The code is
read as text (``code = "…"``, ``code="…"``, ``"code": "…"`` and the statuses' default codes)."""

from __future__ import annotations

import re
from pathlib import Path

from aioomi.entrypoints.http.problems import _CODE_OF_STATUS

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "aioomi"
API_DOC = ROOT / "docs" / "api.md"

# Codes that never reach an HTTP client, each with the reason.
INTERNAL = {
    "aioomi_error": "the root class's default; every raised error names its own code",
    "invalid_setting": "a startup configuration error (the server does not start)",
    "embedded_database_failed": "the CLI's embedded Postgres failing to start",
    "migration_failed": "the CLI's migrations",
    "invalid_usage": "a guard on the usage ledger's own entries (negative token counts)",
    "invalid_blob_key": "a guard inside the blob store; keys are made by the server",
    "policy_notice_too_short": "the operator's policy-version CLI",
    "invalid_policy_text": "the operator's policy-version CLI (a policy text it cannot read)",
    "policy_text_not_found": "the operator's policy-version CLI (no shipped text for the version)",
    "invalid_deletion_grace": "a startup configuration error: a deletion grace above the policy's 30 days",
    "invalid_outbox_retention": "a startup configuration error (AIOOMI_OUTBOX_RETENTION_DAYS)",
    "rerank_unavailable": "the reranker's failure, caught by the search: the fused order is kept",
    "page_failed": "a crawled page that could not be taken: recorded in the run's counts by reason",
}


def codes_in_code() -> set[str]:
    text = "\n".join(p.read_text() for p in SOURCE.rglob("*.py"))
    found = set(re.findall(r'\bcode(?:: str)?\s*=\s*"([a-z][a-z0-9_]+)"', text))
    found |= set(re.findall(r'"code":\s*"([a-z][a-z0-9_]+)"', text))
    for call in re.findall(r"openai_error\((?:[^()]|\([^()]*\))*\)", text):  # /v1: the third argument
        found |= set(re.findall(r'"([a-z]+_[a-z0-9_]+)"', call))
    found |= set(_CODE_OF_STATUS.values())
    return found


def codes_in_docs() -> set[str]:
    documented: set[str] = set()
    for line in API_DOC.read_text().splitlines():
        if re.match(r"^\| (?:\d{3}|`/v1`)", line):
            row = re.sub(r"\([^()]*(?:\([^()]*\)[^()]*)*\)", "", line.split("|", 2)[2])  # not the explanations
            documented |= set(re.findall(r"`([a-z][a-z0-9_*]+)`", row))
        elif "error.code" in line or line.startswith("`document_type_unsupported`") or line.startswith("`embedding_"):
            documented |= set(re.findall(r"`([a-z][a-z0-9_]+)`", line))
    return documented


def matches(code: str, documented: set[str]) -> bool:
    return code in documented or any(d.endswith("*") and code.startswith(d[:-1]) for d in documented)


def test_every_code_the_code_uses_is_in_docs_api_md() -> None:
    documented = codes_in_docs()
    missing = sorted(c for c in codes_in_code() - INTERNAL.keys() if not matches(c, documented))
    assert missing == [], f"codes the code answers with that docs/api.md does not list: {missing}"


def test_every_code_in_docs_api_md_is_used_by_the_code() -> None:
    used = codes_in_code()
    unused = sorted(d for d in codes_in_docs() if not d.endswith("*") and d not in used)
    assert unused == [], f"codes docs/api.md lists that the code never uses: {unused}"


def test_the_internal_list_holds_only_codes_the_code_uses() -> None:
    assert sorted(set(INTERNAL) - codes_in_code()) == []
