"""The shared spaCy pipeline: paragraph boundaries and basic rows."""

from __future__ import annotations

from sourcetrace.model import Document
from sourcetrace.nlp.pipeline import doc_rows


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
    doc = nlp(text)
    doc._.st_document = Document("d1", text)
    rows = doc_rows(doc, Document("d1", text))
    for row in rows["sentences"] + rows["mentions"]:
        assert text[row["start"]:row["end"]] == row["text"] and row["doc"] == "d1"
    assert any(m["label"] == "PERSON" for m in rows["mentions"])
