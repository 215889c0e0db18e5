"""The shared spaCy pipeline: paragraph boundaries and basic rows."""

from __future__ import annotations

import json
from pathlib import Path

from sourcetrace.model import Document
from sourcetrace.nlp.pipeline import doc_rows, make_doc


def test_headline_does_not_run_into_first_sentence(nlp) -> None:
    text = "Bridge closes for repairs\n\nThe city engineer said on Friday that it would close."
    doc = nlp(text)
    sents = [s.text.strip() for s in doc.sents]
    assert sents[0] == "Bridge closes for repairs"
    assert sents[1].startswith("The city engineer said")


def test_single_line_breaks_end_sentences(nlp) -> None:
    doc = nlp("Ships wait outside the port\nThe harbour master said the channel is blocked.")
    assert len(list(doc.sents)) == 2


def test_rows_carry_offsets_into_the_text(nlp) -> None:
    text = "Mayor Ana Duarte visited Lisbon on Monday.\nShe said the tram line would reopen."
    document = Document("d1", text)
    rows = doc_rows(nlp(make_doc(nlp, document)), document)
    for row in rows["sentences"] + rows["mentions"]:
        assert text[row["start"]:row["end"]] == row["text"] and row["doc"] == "d1"
    assert any(m["label"] == "PERSON" for m in rows["mentions"])


def test_analyze_sees_the_outlet_and_the_publication_date(tmp_path: Path) -> None:
    """Through the real analysis path, components see the document while they run: a source
    naming the article's own outlet is an ``outlet`` source, and "on Monday" is resolved
    against the publication date."""
    from sourcetrace.config import Settings
    from sourcetrace.engines.local import run_analysis
    from sourcetrace.outputs.store import AnalysisStore

    record = {
        "id": "meridian-1",
        "outlet": "Daily Meridian",
        "published": "2024-05-08",  # a Wednesday
        "title": "Ferry service to Corran Island suspended",
        "text": (
            "Ferry service to Corran Island suspended\n\n"
            "The Daily Meridian reported that the ferry to Corran Island was suspended on "
            "Monday after a crack was found in its hull.\n"
            "Harbour officials said repairs would take at least three weeks.\n"
        ),
    }
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "articles.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run_analysis([inputs], Settings(out=out, formats=(), quiet=True))
    with AnalysisStore(out) as store:
        attributions = store.read("attributions")
        dates = store.read("dates")
    meridian = [a for a in attributions if a["source_text"] == "The Daily Meridian"]
    assert [a["source_kind"] for a in meridian] == ["outlet"]
    assert meridian[0]["doc"] == "meridian-1"
    monday = next(d for d in dates if d["text"] == "Monday")
    assert monday["value"] == "2024-05-06" and monday["resolved"]
