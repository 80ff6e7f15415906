"""Question-and-answer pairs over HTTP on Postgres: a pair is a document of the agent's one qa
source whose title is the question (found by a search for words only the question has), edited
pairs are ingested again, deleted pairs take their chunks along, CSV export and import (a bad
row refused with its line and nothing written), problems with stable codes, and isolation."""

from __future__ import annotations

import csv
import io

from tests.integration.accounts_support import App, problem
from tests.integration.test_documents_http import AGENTS, owner_with_agent, run_worker, sql
from tests.integration.test_sources_http import app  # noqa: F401 - fixture


async def test_pairs_are_documents_searched_by_their_question_edited_exported_imported_and_deleted(app: App) -> None:
    owner, agent_id = await owner_with_agent(app)
    pairs, docs = f"{AGENTS}/{agent_id}/qa-pairs", f"{AGENTS}/{agent_id}/documents"
    kettle = await app.client.post(
        pairs,
        json={
            "question": "How do I descale the kettle?",
            "answer": "Soak it in citric acid once a month.",
            "alternatives": ["Limescale in my kettle"],
        },
        headers=owner.headers(),
    )
    ship = await app.client.post(
        pairs, json={"question": "Do you ship abroad?", "answer": "Yes, to every EU country."}, headers=owner.headers()
    )
    assert (kettle.status_code, ship.status_code) == (201, 201), kettle.text
    pair = kettle.json()
    assert (pair["question"], pair["alternatives"]) == ("How do I descale the kettle?", ["Limescale in my kettle"])
    assert kettle.headers["location"] == f"{pairs}/{pair['id']}"
    problem(
        await app.client.post(
            pairs, json={"question": "do you SHIP abroad? ", "answer": "No."}, headers=owner.headers()
        ),
        409,
        "qa_question_exists",
    )
    problem(
        await app.client.post(pairs, json={"question": "Opening hours?", "answer": " "}, headers=owner.headers()),
        422,
        "invalid_qa_pair",
    )
    await run_worker(app)

    # one qa source holds both; each pair is a ready document titled with its question
    sources = (await app.client.get(f"{AGENTS}/{agent_id}/sources", headers=owner.headers())).json()["data"]
    assert [(s["kind"], s["documents"]) for s in sources] == [("qa", 2)]
    document = (await app.client.get(f"{docs}/{pair['id']}", headers=owner.headers())).json()
    assert (document["title"], document["status"], document["source_id"]) == (
        "How do I descale the kettle?",
        "ready",
        sources[0]["id"],
    )
    # "descale" and "kettle" are in the question only: the pair is found by its title
    search = await app.client.post(
        f"{AGENTS}/{agent_id}/search", json={"query": "descale kettle", "min_relevance": 0.0}, headers=owner.headers()
    )
    assert search.status_code == 200, search.text
    top = search.json()["data"][0]
    assert top["document"] == {"id": pair["id"], "title": "How do I descale the kettle?"}
    assert "citric acid" in top["text"] and "Limescale in my kettle" in top["text"]

    # editing re-ingests the pair's document with the new question and answer
    edited = await app.client.put(
        f"{pairs}/{pair['id']}",
        json={"question": "How do I descale my kettle?", "answer": "Use vinegar every two weeks."},
        headers=owner.headers(),
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["answer"], edited.json()["alternatives"]) == ("Use vinegar every two weeks.", [])
    queued = (await app.client.get(f"{docs}/{pair['id']}", headers=owner.headers())).json()
    assert (queued["status"], queued["version"], queued["title"]) == ("queued", 2, "How do I descale my kettle?")
    problem(
        await app.client.put(
            f"{pairs}/{pair['id']}", json={"question": "Do you ship abroad?", "answer": "A."}, headers=owner.headers()
        ),
        409,
        "qa_question_exists",
    )
    await run_worker(app)
    assert await sql(app, "SELECT text FROM knowledge_chunks WHERE document_id LIKE %s", f"{pair['id']}/%") == [
        ("Use vinegar every two weeks.",)
    ]

    # the pair's document is changed as a pair only, not through the documents API
    problem(
        await app.client.patch(f"{docs}/{pair['id']}", json={"title": "Kettles"}, headers=owner.headers()),
        422,
        "source_kind_not_allowed",
    )
    problem(
        await app.client.put(
            f"{docs}/{pair['id']}", json={"title": "Kettles", "text": "Other."}, headers=owner.headers()
        ),
        422,
        "source_kind_not_allowed",
    )

    # export: a header row and one row per pair, oldest first
    exported = await app.client.get(f"{pairs}/export", headers=owner.headers())
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(exported.text))) == [
        ["question", "answer", "alternatives"],
        ["How do I descale my kettle?", "Use vinegar every two weeks.", ""],
        ["Do you ship abroad?", "Yes, to every EU country.", ""],
    ]

    # a bad row (line 4: no answer) is refused with its line and nothing is written
    bad = b'question,answer\nDo you ship abroad?,"Yes, worldwide."\nReturns?,Within 30 days.\nGift cards?,\n'
    body = problem(
        await app.client.post(f"{pairs}/import", files={"file": ("qa.csv", bad, "text/csv")}, headers=owner.headers()),
        422,
        "invalid_qa_import",
    )
    assert body["detail"].startswith("Line 4: ")
    assert await sql(app, "SELECT count(*) FROM qa_pairs") == [(2,)]
    # the export imported back changes nothing; a changed answer updates, a new question adds
    same = await app.client.post(
        f"{pairs}/import", files={"file": ("qa.csv", exported.content, "text/csv")}, headers=owner.headers()
    )
    assert same.json() == {"created": 0, "updated": 0, "unchanged": 2}, same.text
    good = bad.replace(b"Gift cards?,\n", b"")
    imported = await app.client.post(
        f"{pairs}/import", files={"file": ("qa.csv", good, "text/csv")}, headers=owner.headers()
    )
    problem(
        await app.client.post(f"{pairs}/import", json={"csv": "question,answer"}, headers=owner.headers()),
        422,
        "invalid_qa_import",
    )
    assert imported.json() == {"created": 1, "updated": 1, "unchanged": 0}, imported.text
    listed = (await app.client.get(pairs, headers=owner.headers())).json()["data"]
    assert [(p["question"], p["answer"]) for p in listed] == [
        ("How do I descale my kettle?", "Use vinegar every two weeks."),
        ("Do you ship abroad?", "Yes, worldwide."),
        ("Returns?", "Within 30 days."),
    ]

    # another owner sees none of it
    stranger, other_agent = await owner_with_agent(app, "eve@example.com")
    problem(await app.client.get(pairs, headers=stranger.headers()), 404)
    problem(await app.client.delete(f"{pairs}/{pair['id']}", headers=stranger.headers()), 404)
    problem(
        await app.client.put(
            f"{AGENTS}/{other_agent}/qa-pairs/{pair['id']}",
            json={"question": "Q?", "answer": "A."},
            headers=stranger.headers(),
        ),
        404,
        "qa_pair_not_found",
    )

    # deleting a pair takes its document and chunks along
    await run_worker(app)
    deleted = await app.client.delete(f"{pairs}/{pair['id']}", headers=owner.headers())
    assert deleted.status_code == 204, deleted.text
    problem(await app.client.get(f"{pairs}/{pair['id']}", headers=owner.headers()), 404, "qa_pair_not_found")
    problem(await app.client.get(f"{docs}/{pair['id']}", headers=owner.headers()), 404, "document_not_found")
    assert await sql(app, "SELECT count(*) FROM knowledge_chunks WHERE document_id LIKE %s", f"{pair['id']}/%") == [
        (0,)
    ]
    assert [p["question"] for p in (await app.client.get(pairs, headers=owner.headers())).json()["data"]] == [
        "Do you ship abroad?",
        "Returns?",
    ]
