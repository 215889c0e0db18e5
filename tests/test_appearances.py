"""Appearances: the same text on another outlet, URL or date is counted (analysed once);
only the same outlet and URL again is a repeat. Outlets inferred from the input are marked,
and an unknown outlet is said to be unknown."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sourcetrace.ingest.enrich import finish
from sourcetrace.ingest.ids import wire_credit
from sourcetrace.ingest.metadata import apply_metadata
from sourcetrace.ingest.options import IngestOptions
from sourcetrace.model import Document
from sourcetrace.outputs.report import narrative_tree, render_report, summarize
from sourcetrace.provenance.actors import Actors
from sourcetrace.provenance.independence import Corpus, analyse_cluster

# A wire story (an agency of our own making) that two papers run word for word.
WIRE = (
    "SALTMERE (Tidewire) - The harbour board said on Tuesday that the ferry to Lindholm will "
    "resume next week after repairs to the pier.\n\nThe repairs cost two million crowns, "
    "according to the board. Fishermen in Lindholm welcomed the news."
)
BRIDGE = "The mayor of Tarvik said the road bridge will stay closed for inspection until Friday."


# -- the outlet: given, inferred, or unknown ----------------------------------------------------
def test_outlet_inferred_from_the_url_host_is_marked_inferred() -> None:
    doc = finish(Document("b", BRIDGE, url="https://www.tarvik-daily.example/bridge"), [],
                 IngestOptions())
    assert isinstance(doc, Document)
    assert (doc.outlet, doc.outlet_inferred) == ("tarvik-daily.example", "url host")


def test_outlet_from_a_wire_dateline_is_marked_inferred_and_the_input_wins() -> None:
    credited = finish(Document("w", WIRE), [], IngestOptions())
    assert isinstance(credited, Document)
    assert (credited.outlet, credited.outlet_inferred) == ("Tidewire", "wire credit")
    named = finish(Document("n", WIRE, outlet="Bay Courier"), [], IngestOptions())
    assert isinstance(named, Document)
    assert (named.outlet, named.outlet_inferred) == ("Bay Courier", None)
    # a metadata sheet naming the outlet replaces an inferred one, and it is no longer inferred
    page = Document("p", BRIDGE, outlet="Tarvik Daily", outlet_inferred="site name")
    apply_metadata(page, {"id": "p", "outlet": "Tarvik Evening News"})
    assert (page.outlet, page.outlet_inferred) == ("Tarvik Evening News", None)
    # nothing tells: unknown, not guessed
    unknown = finish(Document("u", BRIDGE), [], IngestOptions())
    assert isinstance(unknown, Document)
    assert (unknown.outlet, unknown.outlet_inferred) == (None, None)


def test_wire_credits_only_in_a_dateline() -> None:
    assert wire_credit("KESTREL, Northland, March 3 (Tidewire) -- Officials said") == "Tidewire"
    assert wire_credit("Ferry resumes\n(Coastwire) \u2014 The board said") == "Coastwire"
    assert wire_credit("The board (Tidewire) - said") is None  # mid-sentence: no dateline
    assert wire_credit("(UPDATE 2) - The board said") is None


# -- provenance over an appearance ---------------------------------------------------------------
def test_a_wire_copy_on_two_outlets_is_two_outlets_and_one_origin() -> None:
    docs = [
        {"id": "coast", "outlet": "Coast News", "published": "2024-05-02", "duplicate_of": None},
        {"id": "bay", "outlet": "Bay Courier", "published": "2024-05-03",
         "duplicate_of": "coast"},
        {"id": "sound", "outlet": None, "published": None, "duplicate_of": "coast"},
    ]
    attributions = [{"id": "coast:a0", "doc": "coast", "source_text": "The harbour board",
                     "source_resolved": "The harbour board", "source_kind": "organisation",
                     "source_entity": None, "source_start": 20, "parent": None}]
    claims = [{"id": "coast:c0", "doc": "coast", "cluster": "cl:1", "attribution": "coast:a0",
               "start": 40, "end": 120, "hedged": False, "unattributed": False}]
    corpus = Corpus.from_rows(docs, attributions, claims, [], Actors.from_rows([]))
    found = analyse_cluster(corpus, {"id": "cl:1", "claims": ["coast:c0"]})
    assert found["outlets"] == ["Bay Courier", "Coast News"]  # the unknown one is not named
    assert found["independent_origins"] == 1
    [origin] = json.loads(found["origins"])
    assert origin["documents"] == ["bay", "coast", "sound"]
    assert origin["via"] == ["Bay Courier", "Coast News", "sound"]
    # three relays (one of unknown outlet), one origin; copies of one text form no loop
    assert found["amplification"] == 3.0
    assert found["flags"] == ["single_source_amplification"]


# -- the whole run -------------------------------------------------------------------------------
def _analyse(tmp_path: Path, records: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    from sourcetrace.config import Settings
    from sourcetrace.engines.local import run_analysis

    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "news.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    out = tmp_path / "out"
    result = run_analysis([corpus], Settings(out=out, formats=("json",), kb_files=[]))
    return result, json.loads((out / "analysis.json").read_text())


def test_a_wire_copy_counts_for_both_outlets_and_the_same_page_twice_once(
    tmp_path: Path,
) -> None:
    result, analysis = _analyse(tmp_path, [
        {"id": "coast", "text": WIRE, "outlet": "Coast News",
         "url": "https://coastnews.example/ferry", "published": "2024-05-02"},
        {"id": "bay", "text": WIRE, "outlet": "Bay Courier",
         "url": "https://baycourier.example/a/17", "published": "2024-05-03"},
        # the same page of the same outlet again: a repeat, counted once
        {"id": "coast-2", "text": WIRE, "outlet": "Coast News",
         "url": "https://www.coastnews.example/ferry/", "published": "2024-05-02"},
        {"id": "tarvik", "text": BRIDGE, "url": "https://www.tarvik-daily.example/bridge"},
    ])
    assert (result.analysed, result.duplicates, result.repeats) == (2, 1, 1)
    assert result.errors == []
    docs = {d["id"]: d for d in analysis["documents"]}
    assert set(docs) == {"coast", "bay", "tarvik"}
    assert docs["bay"]["duplicate_of"] == "coast"
    assert docs["tarvik"]["outlet_inferred"] == "url host"
    # the claims are the analysed text's, once; the clusters count both outlets
    assert {c["doc"] for c in analysis["claims"]} == {"coast", "tarvik"}
    ferry = [k for k in analysis["claim_clusters"] if "coast" in k["documents"]]
    assert ferry
    for k in ferry:
        assert k["documents"] == ["bay", "coast"]
        assert k["outlets"] == ["Bay Courier", "Coast News"]
        assert k["independent_origins"] <= 1
        assert k["first_appearance"] == "2024-05-02"
    summary = summarize(analysis)
    assert (summary["documents"], summary["outlets"]) == (3, 3)
    assert summary["multi_outlet"] == len(ferry)
    headline = _headline(render_report(analysis))
    assert "3 articles from 3 outlets (1 outlet inferred)" in headline
    # the narratives list each claim where it appears: in both papers
    tree = narrative_tree(analysis)
    nodes = [k for n in tree["entries"] for k in n["clusters"]] + tree["outside"]
    shown = {a["doc"] for k in nodes if k["id"] == ferry[0]["id"] for a in k["appearances"]}
    assert shown == {"bay", "coast"}


# -- the headline --------------------------------------------------------------------------------
def _headline(page: str) -> str:
    found = re.search(r'<p id="headline">(.*?)</p>', page, re.S)
    assert found is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1)))


def _docs(*outlets: str | None) -> list[dict[str, Any]]:
    return [{"id": f"d{k}", "title": None, "outlet": o, "outlet_inferred": None, "url": None,
             "published": None, "language": "en", "n_words": 3, "text": "a b c",
             "duplicate_of": None} for k, o in enumerate(outlets)]


def test_no_outlet_metadata_says_outlet_unknown_not_zero_outlets() -> None:
    headline = _headline(render_report({"documents": _docs(None, None, None, None, None)}))
    assert "5 articles, outlet unknown" in headline
    assert "0 outlets" not in headline
    mixed = _headline(render_report({"documents": _docs("Coast News", None, None)}))
    assert "3 articles from 1 outlet (2 articles, outlet unknown)" in mixed
