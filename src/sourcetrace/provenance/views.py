"""What `sourcetrace claims` and `sourcetrace trace` print (rich tables/trees, or JSON)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from sourcetrace.outputs import shapes
from sourcetrace.outputs.store import AnalysisStore
from sourcetrace.outputs.terminal import printable_data
from sourcetrace.provenance.actors import Actors
from sourcetrace.provenance.independence import Corpus


def ranked_clusters(
    store: AnalysisStore, limit: int = 20, min_outlets: int = 1
) -> list[dict[str, Any]]:
    """Clusters ranked by amplification (outlets per independent origin), then by outlets."""
    # outlets relaying a cluster: the named ones, plus one for each article whose outlet is
    # unknown (`relays`), so that a folder of bare text files still counts its articles
    # (a store written before `relays` existed has the named outlets only)
    has_relays = "relays" in store.columns("claim_clusters")
    relays = "coalesce(relays, len(outlets))" if has_relays else "len(outlets)"
    rows = store.read(
        "claim_clusters",
        f"WHERE {relays} >= ? ORDER BY amplification DESC NULLS LAST, {relays} DESC, id LIMIT ?",
        [min_outlets, limit],
    )
    return [shapes.cluster(r) for r in rows]


def narratives_of(store: AnalysisStore, clusters: list[dict[str, Any]]) -> dict[str, Any]:
    """The narratives (JSON shape, by id) that ``clusters`` belong to."""
    ids = sorted({c["narrative"] for c in clusters if c.get("narrative")})
    if not ids or not store.has_table("narratives"):
        return {}
    rows = store.read("narratives", "WHERE list_contains(?, id)", [ids])
    return {r["id"]: shapes.narrative(r) for r in rows}


def by_narrative(
    clusters: list[dict[str, Any]], narratives: dict[str, Any]
) -> list[tuple[dict[str, Any] | None, list[dict[str, Any]]]]:
    """Ranked clusters grouped by narrative: each narrative where its best-ranked cluster is,
    its clusters in rank order. A cluster whose narrative is unknown (a store written before
    narratives) is a group of its own, with no narrative."""
    groups: list[tuple[dict[str, Any] | None, list[dict[str, Any]]]] = []
    seen: dict[str, list[dict[str, Any]]] = {}
    for c in clusters:
        narrative = narratives.get(c.get("narrative") or "")
        if narrative is None:
            groups.append((None, [c]))
        elif narrative["id"] in seen:
            seen[narrative["id"]].append(c)
        else:
            seen[narrative["id"]] = [c]
            groups.append((narrative, seen[narrative["id"]]))
    return groups


def _ampl(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


# Below this many columns for the claim text, the table gives way to the stacked layout.
CLAIM_MIN_WIDTH = 40
_NUMBERS = ("outlets", "indep.", "ampl.")


def _entries(
    rows: list[dict[str, Any]], narratives: dict[str, Any]
) -> tuple[str, list[dict[str, Any]]]:
    """The title and one flat entry per line of the listing: each narrative's header (its
    numbers rolled up over all its propositions, listed or not), then its propositions
    indented. Every string is made printable here (article text can hold escape sequences)."""
    grouped = by_narrative(printable_data(rows), printable_data(narratives))
    any_narrative = any(n is not None for n, _ in grouped)
    title = ("Narratives and their propositions, most amplified first" if any_narrative
             else "Claim clusters, most amplified first")
    entries = []
    for narrative, clusters in grouped:
        indent = ""
        if narrative is not None:
            n = narrative
            total = len(n["claim_clusters"])
            entries.append({
                "id": n["id"], "label": n["label"] or "", "narrative": True,
                "note": f"  [{len(clusters)} of {total} proposition{'s' * (total != 1)}]",
                "numbers": (str(shapes.relays(n)), str(n["independent_origins"]),
                            _ampl(n["amplification"])),
                "first": n["first_appearance"] or "-", "flags": list(n["flags"]),
            })
            indent = "  "
        for r in clusters:
            entries.append({
                "id": indent + r["id"], "label": indent + (r["label"] or ""), "note": "",
                "narrative": False,
                "numbers": (str(shapes.relays(r)), str(r["independent_origins"]),
                            _ampl(r["amplification"])),
                "first": r["first_appearance"] or "-", "flags": list(r["flags"]),
            })
    return title, entries


def _widths(entries: list[dict[str, Any]]) -> dict[str, int]:
    """The width of every column but the claim's: wide enough for its longest value, since
    ids, numbers, dates and flag names are never cut (the claim text gives way instead)."""
    widths = {
        "id": max((len(e["id"]) for e in entries), default=2),
        "first": max((len(e["first"]) for e in entries), default=5),
        "flags": max((len(f) for e in entries for f in e["flags"]), default=5),
    }
    for i, name in enumerate(_NUMBERS):
        widths[name] = max([len(name)] + [len(e["numbers"][i]) for e in entries])
    return {k: max(v, len(k)) for k, v in widths.items()}


def claims_table(
    rows: list[dict[str, Any]], narratives: dict[str, Any] | None = None, width: int = 160
) -> RenderableType:
    """The ranked clusters (propositions), under a header row for each of their narratives:
    a table when ``width`` leaves the claim text room enough, else a stacked listing (ids,
    numbers and flags on one line, the claim below)."""
    title, entries = _entries(rows, narratives or {})
    widths = _widths(entries)
    # 7 columns: 8 rules and a space either side of each value.
    fixed = sum(widths.values()) + 8 + 2 * 7
    if width - fixed < CLAIM_MIN_WIDTH:
        return _stacked(title, entries, widths, width)
    table = Table(title=title, show_lines=False, expand=True)
    # expand: the claim column takes what the others leave. Each other column is as wide as
    # its longest value and never wraps, so nothing but the claim text is ever cut.
    table.add_column("id", style="cyan", no_wrap=True, min_width=widths["id"])
    table.add_column("claim", ratio=1, overflow="ellipsis", no_wrap=True, min_width=8)
    for name in _NUMBERS:
        table.add_column(name, justify="right", no_wrap=True, min_width=widths[name])
    table.add_column("first", no_wrap=True, min_width=widths["first"])
    # one flag a line: a flag's name is never split across lines
    table.add_column("flags", style="red", no_wrap=True, min_width=widths["flags"])
    for e in entries:
        label = Text(e["label"], style="bold" if e["narrative"] else "")
        label.append(e["note"], style="dim")
        table.add_row(
            Text(e["id"], style="bold magenta") if e["narrative"] else e["id"], label,
            *e["numbers"], e["first"], "\n".join(e["flags"]),
            style="bold" if e["narrative"] else None,
        )
    return table


def _stacked(
    title: str, entries: list[dict[str, Any]], widths: dict[str, int], width: int
) -> Group:
    """The narrow layout: per entry, a line of id, numbers, first appearance and flags (the
    flags wrap under themselves, between names; on a line of their own when even the longest
    name would not fit beside the numbers), then the claim text wrapped below it."""
    head = sum(widths[k] for k in ("id", *_NUMBERS, "first")) + 2 * 5
    beside = width - head >= widths["flags"]

    def line(cells: list[Text], flags: Text) -> Table:
        grid = Table.grid(padding=(0, 2), expand=beside)
        grid.add_column(no_wrap=True, width=widths["id"])
        for name in _NUMBERS:
            grid.add_column(no_wrap=True, justify="right", width=widths[name])
        grid.add_column(no_wrap=True, width=widths["first"])
        if beside:
            grid.add_column(ratio=1, overflow="fold")
            cells = [*cells, flags]
        grid.add_row(*cells)
        return grid

    parts: list[RenderableType] = [
        Text(title, style="bold"),
        line([Text(h, style="bold") for h in ("id", *_NUMBERS, "first")],
             Text("flags", style="bold")),
    ]
    for e in entries:
        style = "bold magenta" if e["narrative"] else "cyan"
        flags = Text(", ".join(e["flags"]), style="red", overflow="fold")
        parts.append(line(
            [Text(e["id"], style=style), *(Text(n) for n in e["numbers"]), Text(e["first"])],
            flags,
        ))
        indent = len(e["id"]) - len(e["id"].lstrip()) + 4
        if not beside and e["flags"]:
            parts.append(Padding(flags, (0, 0, 0, indent)))
        label = Text(e["label"].strip(), style="bold" if e["narrative"] else "")
        label.append(e["note"], style="dim")
        parts.append(Padding(label, (0, 0, 0, indent)))
    return Group(*parts)


def trace_narrative(store: AnalysisStore, narrative_id: str) -> dict[str, Any] | None:
    """One narrative: its roll-up, then the trace of each of its propositions (clusters)."""
    if not store.has_table("narratives"):
        return None
    rows = store.read("narratives", "WHERE id = ?", [narrative_id])
    if not rows:
        return None
    narrative = shapes.narrative(rows[0])
    corpus = Corpus.load(store)
    propositions = [
        data for cid in narrative["claim_clusters"]
        if (data := trace_cluster(store, cid, corpus)) is not None
    ]
    return {**narrative, "propositions": propositions}


def trace_cluster(
    store: AnalysisStore, cluster_id: str, corpus: Corpus | None = None
) -> dict[str, Any] | None:
    """One cluster: for each article, its claim, the attribution chain, origin, controllers."""
    rows = store.read("claim_clusters", "WHERE id = ?", [cluster_id])
    if not rows:
        return None
    cluster = shapes.cluster(rows[0])
    corpus = corpus or Corpus.load(store)
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
                    "kind": a["source_kind"], "entity": a["source_entity"],
                    "near": a.get("near_entity"), "cue": a["cue_text"],
                    "span": [a["source_start"], a["source_end"]],
                }
                for a in corpus.chain(claim["attribution"])
            ],
            "origin": origin,
            "copied_label": _copied_label(corpus, origin.get("copies") or {}, cid),
            "controllers": [
                {"id": c, "name": actors.name(c)} for c in origin.get("controllers", [])
            ],
        })
    articles.sort(key=lambda a: (a["published"] or "", a["doc"]))
    return {**cluster, "articles": articles}


def _copied_label(corpus: Corpus, copies: dict[str, str], claim: str) -> str | None:
    """The earlier article a claim's passage was copied from, as a reader knows it."""
    return corpus.doc_label(copies[claim]) if claim in copies else None


def outlets_text(outlets: list[str]) -> str:
    """"2 outlets", or "outlet unknown" when no article of it names one."""
    if not outlets:
        return "outlet unknown"
    return f"{len(outlets)} outlet{'s' * (len(outlets) != 1)}"


def _cluster_head(data: dict[str, Any]) -> Text:
    head = Text(f"{data['id']}  {data['label']}", style="bold")
    head.append(
        f"\n{outlets_text(data['outlets'])}, {data['independent_origins']} independent origin(s)"
        + (f", flags: {', '.join(data['flags'])}" if data["flags"] else ""),
        style="yellow",
    )
    return head


def trace_tree(data: dict[str, Any]) -> Tree:
    """A cluster's trace (:func:`trace_cluster`) or a narrative's (:func:`trace_narrative`)."""
    data = printable_data(data)  # titles, outlets and claim text come from the articles
    if "propositions" in data:
        return _narrative_tree(data)
    head = _cluster_head(data)
    if data.get("narrative"):
        head.append(f"\npart of narrative {data['narrative']}", style="dim")
    tree = Tree(head)
    _add_why(tree, data)
    _add_articles(tree, data)
    return tree


def _add_why(tree: Tree, data: dict[str, Any]) -> None:
    """One sentence per independence group: why the count is what it is."""
    groups = data.get("origin_groups") or shapes.origin_groups(data.get("origins") or [])
    if not groups:
        return
    n = data["independent_origins"]
    why = tree.add(Text(f"why {n} independent origin{'s' * (n != 1)}", style="bold cyan"))
    for g in groups:
        why.add(Text(g["sentence"], style="cyan" if g["counted"] else "dim"))


def _narrative_tree(data: dict[str, Any]) -> Tree:
    head = Text(f"{data['id']}  {data['label']}", style="bold magenta")
    outlets = data["outlets"]
    origins = shapes.origin_names(data["origins"])
    independent = shapes.independent_names(data["origins"])
    n = len(data["claim_clusters"])
    head.append(
        f"\nnarrative of {n} proposition{'s' * (n != 1)}, first appeared "
        f"{data['first_appearance'] or 'date unknown'}"
        f"\n{outlets_text(outlets)}{': ' + ', '.join(outlets) if outlets else ''}"
        f"\n{data['independent_origins']} independent origin(s) among "
        f"{len(origins)} sources: {', '.join(independent) or '-'}"
        + (f"\nflags: {', '.join(data['flags'])}" if data["flags"] else ""),
        style="yellow",
    )
    tree = Tree(head)
    _add_why(tree, data)
    for proposition in data["propositions"]:
        branch = tree.add(_cluster_head(proposition))
        _add_why(branch, proposition)
        _add_articles(branch, proposition)
    return tree


def _add_articles(tree: Tree, data: dict[str, Any]) -> None:
    for art in data["articles"]:
        # an unknown outlet stands in as the document id: say it is unknown instead
        outlet = art["outlet"] if art["outlet"] != art["doc"] else "(outlet unknown)"
        node = tree.add(Text(f"{outlet} — {art['title'] or art['doc']} "
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
            text = f"origin: {shapes.origin_name(origin)} ({shapes.origin_kind(origin)})"
            if origin.get("reason"):
                text += f" — {origin['reason']}"
            if isinstance(origin.get("group"), str) and origin["group"] != origin.get("name"):
                text += f" [group: {origin['group']}]"
            copied = (origin.get("copies") or {}).get(art["claim"])
            if copied:
                text += f"; this article's passage is copied from {art['copied_label']}"
            branch = branch.add(Text(text, style="green"))
        for ctl in art["controllers"]:
            branch = branch.add(Text(f"controlled by {ctl['name'] or ctl['id']}", style="magenta"))
