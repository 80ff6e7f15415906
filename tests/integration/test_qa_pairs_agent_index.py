"""Migration 0049 (issue 15): the turn's has-pairs check (``HAS_PAIRS``) finds an agent's pairs
through an index keyed by account and agent, not by walking every pair of the account."""

from __future__ import annotations

from typing import Any

import psycopg

from aioomi.adapters.postgres.curated import HAS_PAIRS


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


async def test_the_has_pairs_check_seeks_the_agent_in_an_index(pg_conninfo: str) -> None:
    with psycopg.connect(pg_conninfo, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # the pairs' documents and source are not needed
        conn.execute("SELECT set_config('aioomi.system', 'on', false)")
        # 2,000 pairs of another agent of the same account; the agent asked about has none.
        conn.execute(
            "INSERT INTO qa_pairs (id, account_id, agent_id, source_id, question, answer, created_at, updated_at) "
            "SELECT 'doc_' || i, 'acct_a', 'agt_big', 'src_big', 'q' || i, 'a', now(), now() "
            "FROM generate_series(1, 2000) i"
        )
        conn.execute("ANALYZE qa_pairs")
        conn.execute("SET enable_seqscan = off")  # any index would do; the question is which, and how
        row = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {HAS_PAIRS}", ("acct_a", "agt_none")).fetchone()
        assert row is not None
        assert conn.execute(HAS_PAIRS, ("acct_a", "agt_none")).fetchone() == (False,)
    nodes = _nodes(row[0][0]["Plan"])
    # The agent is part of the index's condition (whichever scan reads the index): the scan reads
    # no entry of the other agent's, and filters none out afterwards.
    conditions = " ".join(node.get("Index Cond", "") for node in nodes)
    assert "agent_id" in conditions, nodes
    assert [node.get("Rows Removed by Filter", 0) for node in nodes] == [0] * len(nodes), nodes
