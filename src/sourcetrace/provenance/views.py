"""What `sourcetrace claims` and `sourcetrace trace` print (rich tables/trees, or JSON)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from sourcetrace.outputs import shapes
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.provenance.actors import Actors
from sourcetrace.provenance.independence import Corpus


def ranked_clusters(
    store: AnalysisStore, limit: int = 20, min_outlets: int = 1
) -> list[dict[str, Any]]:
    """Clusters ranked by amplification (outlets per independent origin), then by outlets."""
    rows = store.read(
        "claim_clusters",
        "WHERE len(outlets) >= ? ORDER BY amplification DESC NULLS LAST, len(outlets) DESC, id "
        "LIMIT ?",
        [min_outlets, limit],
    )
    return [shapes.cluster(r) for r in rows]


def claims_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Claim clusters, most amplified first", show_lines=False)
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("claim", ratio=3, overflow="ellipsis", no_wrap=True, min_width=20)
    for name in ("outlets", "indep.", "ampl."):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("first", no_wrap=True)
    table.add_column("flags", style="red", ratio=1, overflow="fold")
    for r in rows:
        table.add_row(
            r["id"], Text(r["label"] or ""), str(len(r["outlets"])), str(r["independent_origins"]),
            f"{r['amplification']:.1f}" if r["amplification"] is not None else "-",
            r["first_appearance"] or "-", ", ".join(r["flags"]),
        )
    return table


def trace_cluster(store: AnalysisStore, cluster_id: str) -> dict[str, Any] | None:
    """One cluster: for each article, its claim, the attribution chain, origin, controllers."""
    rows = store.read("claim_clusters", "WHERE id = ?", [cluster_id])
    if not rows:
        return None
    cluster = shapes.cluster(rows[0])
    corpus = Corpus.load(store)
    actors: Actors = corpus.actors
    origins = {cid: o for o in cluster["origins"] for cid in o["claims"]}
    articles = []
    for cid in cluster["claims"]:
        claim = corpus.claims.get(cid)
        if claim is None:
            continue
        doc = corpus.docs.get(claim["doc"], {})
        origin = origins.get(cid, {})
        articles.append({
            "doc": claim["doc"], "outlet": corpus.outlet(claim["doc"]), "title": doc.get("title"),
            "published": doc.get("published"), "claim": cid, "text": claim["text"],
            "span": [claim["start"], claim["end"]], "hedged": bool(claim["hedged"]),
            "chain": [
                {
                    "source": a["source_text"], "resolved": a["source_resolved"],
                    "kind": a["source_kind"], "entity": a["source_entity"], "cue": a["cue_text"],
                    "span": [a["source_start"], a["source_end"]],
                }
                for a in corpus.chain(claim["attribution"])
            ],
            "origin": origin,
            "controllers": [
                {"id": c, "name": actors.name(c)} for c in origin.get("controllers", [])
            ],
        })
    articles.sort(key=lambda a: (a["published"] or "", a["doc"]))
    return {**cluster, "articles": articles}


def trace_tree(data: dict[str, Any]) -> Tree:
    head = Text(f"{data['id']}  {data['label']}", style="bold")
    head.append(
        f"\n{len(data['outlets'])} outlets, {data['independent_origins']} independent origin(s)"
        + (f", flags: {', '.join(data['flags'])}" if data["flags"] else ""),
        style="yellow",
    )
    tree = Tree(head)
    for art in data["articles"]:
        node = tree.add(Text(f"{art['outlet']} — {art['title'] or art['doc']} "
                             f"({art['published'] or 'date unknown'})"))
        claim = node.add(Text(f"claim {art['claim']} [{art['span'][0]}:{art['span'][1]}]: "
                              f"{art['text'][:160]}"))
        branch = claim
        for link in art["chain"]:
            label = link["source"] or "(no named source)"
            if link["resolved"] and link["resolved"] != link["source"]:
                label += f" = {link['resolved']}"
            branch = branch.add(Text(f"{link['cue'] or 'says'} ← {label} ({link['kind']})"))
        origin = art["origin"]
        if origin:
            text = f"origin: {origin.get('name')} ({origin.get('kind')})"
            copied = (origin.get("copies") or {}).get(art["claim"])
            if copied:
                text += f", copied from {copied}"
            branch = branch.add(Text(text, style="green"))
        for ctl in art["controllers"]:
            branch = branch.add(Text(f"controlled by {ctl['name'] or ctl['id']}", style="magenta"))
    return tree
