/* sourcetrace report and web app.
 *
 * One app, two data sources with the same asynchronous interface: EmbeddedSource answers from
 * the analysis embedded in report.html, ApiSource from the JSON API of `sourcetrace serve`.
 * Article text is hostile input: data only ever reaches the page through textContent, attribute
 * values set with setAttribute on inert attributes, or canvas/SVG text -- never innerHTML.
 */
(function () {
  "use strict";

  const PAGE = 50;

  // -- small DOM helpers -----------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return node;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function $(sel) { return document.querySelector(sel); }
  function jsonScript(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function cmp(a, b) {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    return a < b ? -1 : 1;
  }
  /* Every user-supplied string (outlet, title, source, claim text, file name) is isolated for
     the bidirectional algorithm: an outlet written right to left, or one holding U+202E, must
     not reorder the text around it. A string alone in its element gets dir="auto"; a string
     among other words goes in a <bdi>. */
  function bdi(text) { return el("bdi", {}, text === null || text === undefined ? "" : String(text)); }
  function bdiList(items, sep) {
    const out = [];
    (items || []).forEach((t, i) => { if (i) out.push(sep); out.push(bdi(t)); });
    return out;
  }
  /* A sentence we wrote around user-supplied names ("X is tied to no other source here"):
     each occurrence of a name becomes a <bdi>, the words between stay text. */
  function isolateNames(text, names) {
    text = text || "";
    const wanted = [...new Set((names || []).filter((n) => n && text.includes(n)))].sort((a, b) => b.length - a.length);
    if (!wanted.length) return [text];
    const out = [];
    let i = 0;
    while (i < text.length) {
      let best = -1, name = null;
      for (const n of wanted) {
        const at = text.indexOf(n, i);
        if (at !== -1 && (best === -1 || at < best)) { best = at; name = n; }
      }
      if (best === -1) { out.push(text.slice(i)); break; }
      if (best > i) out.push(text.slice(i, best));
      out.push(bdi(name));
      i = best + name.length;
    }
    return out;
  }
  function short(text, n) { text = text || ""; return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }
  function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }
  function flagBadges(flags) {
    if (!flags || !flags.length) return [el("span", { class: "flag none" }, "none")];
    return flags.map((f) => el("span", { class: "flag" }, f.replace(/_/g, " ")));
  }

  // -- data sources ----------------------------------------------------------------------------
  const SORTS = {
    label: (k) => (k.label || "").toLowerCase(),
    outlets: (k) => (k.outlets || []).length,
    documents: (k) => (k.documents || []).length,
    origins: (k) => k.independent_origins || 0,
    amplification: (k) => (k.amplification === null || k.amplification === undefined ? null : k.amplification),
    first: (k) => k.first_appearance || null,
  };

  function clusterRow(k) {
    return {
      id: k.id, label: k.label || "", outlets: k.outlets || [], n_outlets: (k.outlets || []).length,
      n_documents: (k.documents || []).length, independent_origins: k.independent_origins || 0,
      amplification: k.amplification, first_appearance: k.first_appearance, flags: k.flags || [],
    };
  }

  class EmbeddedSource {
    constructor(data) {
      this.data = data;
      const arr = (name) => data[name] || [];
      this.docs = new Map(arr("documents").map((d) => [d.id, d]));
      this.entities = new Map(arr("entities").map((e) => [e.id, e]));
      this.clusters = new Map(arr("claim_clusters").map((k) => [k.id, k]));
      this.claimsById = new Map(arr("claims").map((c) => [c.id, c]));
      this.narratives = new Map(arr("narratives").map((n) => [n.id, n]));
      this.narrativeOf = new Map();
      for (const n of arr("narratives")) (n.claim_clusters || []).forEach((c) => this.narrativeOf.set(c, n.id));
      this.claimTexts = new Map();
      for (const c of arr("claims")) {
        if (!c.cluster) continue;
        this.claimTexts.set(c.cluster, (this.claimTexts.get(c.cluster) || "") + " " + (c.text || "").toLowerCase());
      }
    }
    async facets() {
      const outlets = new Set(), flags = new Set();
      for (const k of this.clusters.values()) {
        (k.outlets || []).forEach((o) => outlets.add(o));
        (k.flags || []).forEach((f) => flags.add(f));
      }
      return { outlets: [...outlets].sort(), flags: [...flags].sort() };
    }
    async claims(p) {
      const q = (p.q || "").toLowerCase();
      let rows = [...this.clusters.values()].filter((k) => {
        if (q && !(k.label || "").toLowerCase().includes(q) && !(this.claimTexts.get(k.id) || "").includes(q)) return false;
        if (p.outlet && !(k.outlets || []).includes(p.outlet)) return false;
        if (p.max_origins !== "" && p.max_origins !== undefined && (k.independent_origins || 0) > Number(p.max_origins)) return false;
        if (p.min_outlets && (k.outlets || []).length < Number(p.min_outlets)) return false;
        if (p.flag && !(k.flags || []).includes(p.flag)) return false;
        if (p.date_from && !(k.first_appearance && k.first_appearance.slice(0, 10) >= p.date_from)) return false;
        if (p.date_to && !(k.first_appearance && k.first_appearance.slice(0, 10) <= p.date_to)) return false;
        return true;
      });
      const key = SORTS[p.sort] || SORTS.amplification;
      const dir = p.order === "asc" ? 1 : -1;
      rows.sort((a, b) => {
        const ka = key(a), kb = key(b);
        // Missing values go last in both directions, as NULLS LAST does in the API.
        if (ka === null && kb !== null) return 1;
        if (kb === null && ka !== null) return -1;
        return dir * cmp(ka, kb) || cmp(a.id, b.id);
      });
      const offset = Number(p.offset || 0), limit = Number(p.limit || PAGE);
      return { total: rows.length, offset, limit, items: rows.slice(offset, offset + limit).map(clusterRow) };
    }
    async claim(id) {
      let k = this.clusters.get(id);
      if (!k && this.claimsById.has(id)) k = this.clusters.get(this.claimsById.get(id).cluster);
      if (!k) return null;
      const claims = (k.claims || []).map((c) => this.claimsById.get(c)).filter(Boolean);
      const docIds = new Set([...(k.documents || []), ...claims.map((c) => c.doc)]);
      const documents = [...docIds].map((d) => this.docs.get(d)).filter(Boolean);
      const attributions = (this.data.attributions || []).filter((a) => docIds.has(a.doc));
      const language = (this.data.language || []).filter((s) => docIds.has(s.doc));
      const wanted = new Set();
      for (const o of k.origins || []) {
        if (o.entity) wanted.add(o.entity);
        (o.controllers || []).forEach((c) => wanted.add(c));
        if (o.root) wanted.add(o.root);
      }
      attributions.forEach((a) => a.source && a.source.entity && wanted.add(a.source.entity));
      // Close over controlled_by so the card can show every controller up to the root.
      const entities = [];
      const seen = new Set();
      const queue = [...wanted];
      while (queue.length) {
        const eid = queue.shift();
        if (seen.has(eid)) continue;
        seen.add(eid);
        const e = this.entities.get(eid);
        if (!e) continue;
        entities.push({ id: e.id, name: e.name, type: e.type, controlled_by: e.controlled_by, aliases: e.aliases || [] });
        if (e.controlled_by) queue.push(e.controlled_by);
      }
      const nid = k.narrative || this.narrativeOf.get(k.id);
      const n = nid ? this.narratives.get(nid) : null;
      const narrative = nid ? { id: nid, label: n ? n.label || "" : "" } : null;
      return { cluster: k, claims, documents, attributions, entities, language, narrative };
    }
    narrativeHref(id) { return "#narrative/" + encodeURIComponent(id); }
    async document(id) { return this.docs.get(id) || null; }
    async reuse() {
      const items = (this.data.reuse || []).map((r) => Object.assign({}, r, {
        meta: r.docs.map((d) => {
          const doc = this.docs.get(d) || { id: d };
          return { id: d, title: doc.title, outlet: doc.outlet, published: doc.published };
        }),
      }));
      // Most shared words first, as the API orders them.
      const words = (r) => r.passages.reduce((n, p) => n + (p.words || 0), 0);
      items.sort((x, y) => words(y) - words(x) || cmp(x.docs[0], y.docs[0]) || cmp(x.docs[1], y.docs[1]));
      return { total: items.length, items };
    }
    async places() {
      const items = (this.data.places || []).map((p) => ({
        id: p.id, name: p.name, lat: p.lat, lon: p.lon, country: p.country,
        count: (p.mentions || []).length,
        documents: [...new Set((p.mentions || []).map((m) => m.doc))].slice(0, 50).map((d) => {
          const doc = this.docs.get(d) || { id: d };
          return { id: d, title: doc.title, outlet: doc.outlet };
        }),
      }));
      return { items };
    }
    async timeline() {
      const items = [...this.clusters.values()].map((k) => ({
        id: k.id, label: k.label || "", first_appearance: k.first_appearance,
        n_outlets: (k.outlets || []).length,
        dates: (k.documents || []).map((d) => (this.docs.get(d) || {}).published).filter(Boolean),
      }));
      return { items };
    }
    async entitiesList(q) {
      q = (q || "").toLowerCase();
      const items = [];
      for (const e of this.entities.values()) {
        const hay = [e.name || "", ...(e.aliases || [])].join("\n").toLowerCase();
        if (q && !hay.includes(q)) continue;
        const chain = [];
        let cur = e.controlled_by;
        const seen = new Set([e.id]);
        while (cur && !seen.has(cur)) {
          seen.add(cur);
          const c = this.entities.get(cur);
          chain.push({ id: cur, name: c ? c.name : cur });
          cur = c ? c.controlled_by : null;
        }
        items.push({ id: e.id, name: e.name, type: e.type, country: e.country, aliases: e.aliases || [],
          controlled_by: e.controlled_by, controllers: chain, mentions: (e.mentions || []).length });
      }
      items.sort((a, b) => b.mentions - a.mentions || cmp(a.name, b.name));
      return { total: items.length, items };
    }
    async language() {
      const counts = new Map();
      const spans = [];
      for (const s of this.data.language || []) {
        const doc = this.docs.get(s.doc) || {};
        const key = JSON.stringify([doc.outlet || "(unknown)", s.technique]);
        counts.set(key, (counts.get(key) || 0) + 1);
        spans.push({ doc: s.doc, outlet: doc.outlet, title: doc.title, technique: s.technique, text: s.text, score: s.score });
      }
      return {
        counts: [...counts.entries()].map(([k, n]) => { const [outlet, technique] = JSON.parse(k); return { outlet, technique, n }; }),
        spans: spans.slice(0, 500),
      };
    }
  }

  class ApiSource {
    constructor(base) { this.base = base || "/api"; }
    async get(path, params) {
      const url = new URL(this.base + path, window.location.href);
      for (const [k, v] of Object.entries(params || {})) if (v !== "" && v !== null && v !== undefined) url.searchParams.set(k, v);
      const res = await fetch(url.toString(), { headers: { Accept: "application/json" } });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(res.status + " " + path);
      return res.json();
    }
    facets() { return this.get("/facets"); }
    claims(p) { return this.get("/claims", p); }
    claim(id) { return this.get("/claims/" + encodeURIComponent(id)); }
    document(id) { return this.get("/documents/" + encodeURIComponent(id)); }
    reuse() { return this.get("/reuse", { limit: 500 }); }
    places() { return this.get("/places"); }
    timeline() { return this.get("/timeline"); }
    entitiesList(q) { return this.get("/entities", { q, limit: 200 }); }
    language() { return this.get("/language"); }
    // The web app's narrative pages are server-rendered (pages.py).
    narrativeHref(id) { return "/narratives/" + encodeURIComponent(id); }
  }

  // -- highlighted text -------------------------------------------------------------------------
  /* Render `text` with possibly overlapping spans [{start, end, cls, data}] as <mark>s: cut at
     every boundary, then give each piece the classes of the spans covering it. */
  function highlighted(text, spans) {
    text = text || "";
    const valid = spans.filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.end > s.start && s.start >= 0);
    const cuts = new Set([0, text.length]);
    valid.forEach((s) => { cuts.add(Math.min(s.start, text.length)); cuts.add(Math.min(s.end, text.length)); });
    const points = [...cuts].sort((a, b) => a - b);
    const box = el("div", { class: "doctext" });
    for (let i = 0; i < points.length - 1; i++) {
      const a = points[i], b = points[i + 1];
      if (b <= a) continue;
      const piece = text.slice(a, b);
      const covering = valid.filter((s) => s.start <= a && s.end >= b);
      if (!covering.length) { box.appendChild(document.createTextNode(piece)); continue; }
      const classes = [...new Set(covering.map((s) => s.cls))].join(" ");
      const mark = el("mark", { class: classes });
      covering.forEach((s) => { if (s.data) Object.assign(mark.dataset, s.data); if (s.title) mark.title = s.title; });
      mark.textContent = piece;
      box.appendChild(mark);
    }
    return box;
  }

  // -- claims table --------------------------------------------------------------------------
  const state = { sort: "amplification", order: "desc", offset: 0, selected: null };
  let source;
  let staticBase = null; // the web app's static folder; null in the self-contained report

  function filterParams() {
    const f = $("#filters");
    return {
      q: f.q.value.trim(), outlet: f.outlet.value, max_origins: f.max_origins.value, flag: f.flag.value,
      date_from: f.date_from.value, date_to: f.date_to.value, min_outlets: f.multi.checked ? "2" : "",
      sort: state.sort, order: state.order, offset: state.offset, limit: PAGE,
    };
  }

  let claimsSeq = 0;
  async function loadClaims() {
    const seq = ++claimsSeq;
    const res = await source.claims(filterParams());
    if (seq !== claimsSeq) return; // a newer request superseded this one while typing
    const body = clear($("#claims-table tbody"));
    for (const th of document.querySelectorAll("#claims-table th[data-sort]")) {
      th.classList.toggle("sorted-asc", th.dataset.sort === state.sort && state.order === "asc");
      th.classList.toggle("sorted-desc", th.dataset.sort === state.sort && state.order === "desc");
    }
    if (!res.items.length) body.appendChild(el("tr", {}, el("td", { colspan: 7, class: "empty" }, "No claims match.")));
    for (const k of res.items) {
      const weak = k.n_outlets >= 2 && k.independent_origins <= 1;
      body.appendChild(el("tr", { class: (weak ? "weak" : "") + (k.id === state.selected ? " selected" : ""), dataset: { id: k.id },
        onclick: () => { location.hash = "#claim/" + encodeURIComponent(k.id); } },
        el("td", { class: "label", dir: "auto", title: k.label.length > 120 ? k.label : null }, el("span", { class: "clamp" }, k.label)),
        el("td", { class: "num", title: k.outlets.length ? k.outlets.join(", ") : "outlet unknown" }, k.n_outlets || "unknown"),
        el("td", { class: "num" }, k.n_documents),
        el("td", { class: "num origins" }, k.independent_origins),
        el("td", { class: "num" }, k.amplification === null || k.amplification === undefined ? "" : Number(k.amplification).toFixed(1)),
        el("td", { class: "date" }, k.first_appearance || ""),
        el("td", { class: "flags" }, flagBadges(k.flags))));
    }
    const end = Math.min(res.offset + res.items.length, res.total);
    $("#page-info").textContent = res.total ? `${res.offset + 1}\u2013${end} of ${res.total}` : "0 claims";
    $("#prev").disabled = res.offset <= 0;
    $("#next").disabled = end >= res.total;
  }

  async function initClaims() {
    const facets = await source.facets();
    const f = $("#filters");
    facets.outlets.forEach((o) => f.outlet.appendChild(el("option", { value: o, dir: "auto" }, o)));
    facets.flags.forEach((o) => f.flag.appendChild(el("option", { value: o }, o.replace(/_/g, " "))));
    let timer = null;
    f.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { state.offset = 0; loadClaims(); }, 150); });
    f.addEventListener("submit", (e) => e.preventDefault());
    for (const th of document.querySelectorAll("#claims-table th[data-sort]")) {
      th.addEventListener("click", () => {
        if (state.sort === th.dataset.sort) state.order = state.order === "asc" ? "desc" : "asc";
        else { state.sort = th.dataset.sort; state.order = th.dataset.sort === "label" || th.dataset.sort === "first" ? "asc" : "desc"; }
        state.offset = 0;
        loadClaims();
      });
    }
    $("#prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); loadClaims(); });
    $("#next").addEventListener("click", () => { state.offset += PAGE; loadClaims(); });
    await loadClaims();
  }

  // -- claim card ----------------------------------------------------------------------------
  function attributionChain(attrId, attrs) {
    const chain = [];
    const seen = new Set();
    let cur = attrs.get(attrId);
    while (cur && !seen.has(cur.id)) { seen.add(cur.id); chain.unshift(cur); cur = cur.parent ? attrs.get(cur.parent) : null; }
    return chain; // outer first
  }

  async function showClaim(id) {
    const card = $("#claim-card");
    const detail = await source.claim(id);
    state.selected = id;
    document.querySelectorAll("#claims-table tbody tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.id === id));
    clear(card).hidden = false;
    if (!detail) { card.appendChild(el("p", { class: "empty" }, "No such claim.")); return; }
    const k = detail.cluster;
    const attrs = new Map(detail.attributions.map((a) => [a.id, a]));
    const ents = new Map(detail.entities.map((e) => [e.id, e]));
    const docs = new Map(detail.documents.map((d) => [d.id, d]));
    const entName = (eid) => (ents.get(eid) ? ents.get(eid).name : eid);

    // A 6,400-character title is no heading: clamped to a few lines by CSS, whole on hover.
    card.appendChild(el("h2", { id: "card-title", class: "clamp", dir: "auto", title: k.label || k.id }, k.label || k.id));
    const nar = detail.narrative || (k.narrative ? { id: k.narrative, label: "" } : null);
    if (nar && nar.id) {
      card.appendChild(el("p", { class: "narrative-link" }, "Part of narrative ",
        el("a", { id: "card-narrative", href: source.narrativeHref(nar.id), dataset: { narrative: nar.id } }, nar.label ? ["\u201c", bdi(short(nar.label, 120)), "\u201d"] : nar.id),
        ` (${nar.id}); independence below is this claim's own.`));
    }
    card.appendChild(el("p", { class: "meta" },
      `${(k.outlets || []).length ? plural(k.outlets.length, "outlet") : "outlet unknown"}, ${plural((k.documents || []).length, "article")}, ${plural(k.independent_origins || 0, "independent origin")}`,
      k.amplification === null || k.amplification === undefined ? "" : `, amplification ${Number(k.amplification).toFixed(1)}`,
      k.first_appearance ? `, first seen ${k.first_appearance}` : "", " ", flagBadges(k.flags)));

    // Origins, why they count (or not), and their controllers.
    card.appendChild(el("h3", {}, "Origins"));
    const docLabel = (id) => { const d = docs.get(id); return d ? [d.outlet, d.title].filter(Boolean).join(" \u2014 ") || id : id; };
    const docLabelNodes = (id) => { const d = docs.get(id); return d && (d.outlet || d.title) ? bdiList([d.outlet, d.title].filter(Boolean), " \u2014 ") : [bdi(id)]; };
    if (!(k.origins || []).length) card.appendChild(el("p", { class: "empty" }, "No identified origin."));
    else {
      // One plain sentence per independence group: why the count above is what it is.
      const groups = k.origin_groups || [];
      if (groups.length) {
        card.appendChild(el("ul", { id: "origin-groups", class: "why" },
          groups.map((g) => el("li", { class: g.counted ? "counted" : "not-counted" }, isolateNames(g.sentence, [...(g.origins || []), ...(k.origins || []).map((o) => o.name)])))));
      }
      const tbody = el("tbody");
      for (const o of k.origins) {
        const controllers = (o.controllers || []).filter((c) => c !== o.entity).map(entName);
        // A group is a name (older analyses numbered them: no name to show).
        const group = typeof o.group === "string" ? o.group : (o.group === null || o.group === undefined ? "not counted" : "");
        tbody.appendChild(el("tr", {},
          el("td", { dir: "auto" }, o.name || o.id || "unnamed source"), // an unnamed source near someone: "anonymous, near Donald Trump" (shapes.origin_kind)
          el("td", {}, o.kind || "", o.near_name || o.near_entity ? [", near ", bdi(o.near_name || o.near_entity)] : null),
          el("td", { dir: "auto" }, group),
          el("td", { class: "reason" }, isolateNames(o.reason || "", [o.name, ...(o.controllers || []).map(entName), ...detail.documents.map((d) => d.outlet)])),
          el("td", {}, bdiList(controllers, " \u2192 ")),
          el("td", {}, bdiList([...new Set((o.via || []).map((v) => (docs.get(v) ? docs.get(v).outlet || docs.get(v).title || v : v)))], ", ")),
          el("td", {}, o.copied_from ? (o.copied_from_label ? bdi(o.copied_from_label) : docLabelNodes(o.copied_from)) : "")));
      }
      card.appendChild(el("table", { class: "grid", id: "origins-table" },
        el("thead", {}, el("tr", {}, ["Origin", "Kind", "Group", "Why", "Controlled by", "Via", "Copied from"].map((h) => el("th", {}, h)))), tbody));
    }

    // Provenance graph.
    card.appendChild(el("h3", {}, "Provenance graph"));
    card.appendChild(graphLegend());
    const graphBox = el("div", { id: "graph" });
    const graphInfo = el("div", { id: "graph-info", class: "info" }, "Click a node for details.");
    card.appendChild(el("div", { class: "graph-wrap" }, graphBox, graphInfo));

    // Each article's wording.
    card.appendChild(el("h3", {}, "Wording in each article"));
    card.appendChild(el("div", { class: "legend" }, el("span", { class: "claim" }, "claim"), el("span", { class: "source" }, "source"),
      el("span", { class: "cue" }, "cue"), el("span", { class: "content" }, "reported content"), el("span", { class: "lang" }, "persuasion technique")));
    // Earliest article first, so the card reads in the order the claim spread.
    const claims = [...detail.claims].sort((a, b) => cmp((docs.get(a.doc) || {}).published, (docs.get(b.doc) || {}).published) || cmp(a.doc, b.doc) || cmp(a.start, b.start));
    for (const c of claims) {
      const d = docs.get(c.doc) || { id: c.doc, text: "" };
      const chain = c.attribution ? attributionChain(c.attribution, attrs) : [];
      const spans = [{ start: c.start, end: c.end, cls: "claim" }];
      for (const a of chain) {
        spans.push({ start: a.source.start, end: a.source.end, cls: "source", title: "source: " + (a.source.kind || "") });
        spans.push({ start: a.cue.start, end: a.cue.end, cls: "cue" });
        spans.push({ start: a.content.start, end: a.content.end, cls: "content" });
      }
      detail.language.filter((s) => s.doc === c.doc).forEach((s) => spans.push({ start: s.start, end: s.end, cls: "lang", title: s.technique }));
      const box = el("div", { class: "article", dataset: { doc: d.id } },
        // outlet (date) - title: clamped to three lines, so a 6,400-character title is cut last
        el("div", { class: "head clamp", title: d.title || d.id }, d.outlet ? bdi(d.outlet) : "(outlet unknown)", d.published ? ` (${d.published})` : "", " \u2014 ", bdi(d.title || d.id)),
        d.url ? el("div", { class: "url", dir: "auto" }, d.url) : null);
      if (chain.length) {
        box.appendChild(el("ol", { class: "chain" }, chain.map((a) =>
          el("li", {}, el("strong", {}, bdi(a.source.text || "unnamed source")), " ",
            el("span", { class: "kind" }, "(" + (a.source.kind || "kind unknown"), a.source.entity ? [", ", bdi(entName(a.source.entity))] : null, ")"),
            " ", el("em", {}, bdi(a.cue.text || "")), a.hedged ? " [hedged]" : ""))));
      } else box.appendChild(el("p", { class: "empty" }, "No attribution: the article states it itself."));
      const text = highlighted(d.text, spans);
      box.appendChild(text);
      card.appendChild(box);
      const mark = text.querySelector("mark.claim");
      if (mark) text.scrollTop = Math.max(0, mark.offsetTop - text.offsetTop - 40);
    }
    drawGraph(graphBox, graphInfo, detail, entName);
    card.scrollIntoView({ block: "start" });
  }

  /* One definition of each node type's look, used by the graph and its legend alike. */
  const NODE_STYLES = {
    outlet: { color: "#2357c6", shape: "round-rectangle", size: 18 },
    article: { color: "#7a8599", shape: "ellipse", size: 18 },
    origin: { color: "#d1495b", shape: "diamond", size: 24 },
    controller: { color: "#6a4c93", shape: "hexagon", size: 24 },
  };
  const EDGE_STYLES = {
    published: { line: "solid", color: "#aab2c0" },
    cites: { line: "solid", color: "#8892a6" },
    relays: { line: "dashed", color: "#8892a6" },
    "copied from": { line: "dashed", color: "#d97a00" },
    "controlled by": { line: "dotted", color: "#6a4c93" },
  };

  /* A small SVG of a node shape as cytoscape draws it (same polygon, same colour). */
  function shapeIcon(shape, color) {
    const icon = svg("svg", { width: 14, height: 14, viewBox: "-7 -7 14 14", "aria-hidden": "true" });
    const r = 6;
    const polygon = (n, start) => Array.from({ length: n }, (_, i) => {
      const a = start + (2 * Math.PI * i) / n;
      return `${(r * Math.cos(a)).toFixed(2)},${(r * Math.sin(a)).toFixed(2)}`;
    }).join(" ");
    let mark;
    if (shape === "round-rectangle") mark = svg("rect", { x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 3 });
    else if (shape === "diamond") mark = svg("polygon", { points: polygon(4, -Math.PI / 2) });
    else if (shape === "hexagon") mark = svg("polygon", { points: polygon(6, 0) });
    else mark = svg("ellipse", { cx: 0, cy: 0, rx: r, ry: r });
    mark.setAttribute("fill", color);
    icon.appendChild(mark);
    return icon;
  }

  function graphLegend() {
    const items = Object.entries(NODE_STYLES).map(([type, st]) =>
      el("span", { class: "node-key", dataset: { type, shape: st.shape, color: st.color } }, shapeIcon(st.shape, st.color), type));
    const dash = { solid: null, dashed: "4 3", dotted: "1.5 2.5" };
    const lines = Object.entries(EDGE_STYLES).filter(([label]) => label !== "published").map(([label, st]) => {
      const icon = svg("svg", { width: 26, height: 10, "aria-hidden": "true" });
      const line = svg("line", { x1: 1, y1: 5, x2: 25, y2: 5, stroke: st.color, "stroke-width": 2 });
      if (dash[st.line]) line.setAttribute("stroke-dasharray", dash[st.line]);
      icon.appendChild(line);
      return el("span", { class: "edge-key", dataset: { label, line: st.line } }, icon, label);
    });
    return el("div", { class: "graph-legend" }, items, lines);
  }

  // -- graph geometry: boxes, segments, and keeping labels and edges clear of each other -----
  const PAD = 3; // px of air kept around a node an edge passes
  function overlaps(a, b) { return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2; }
  function segmentHitsBox(p, q, b) {
    // Liang-Barsky clipping: does the segment p-q enter the box?
    let t0 = 0, t1 = 1;
    const dx = q.x - p.x, dy = q.y - p.y;
    for (const [pp, qq] of [[-dx, p.x - b.x1], [dx, b.x2 - p.x], [-dy, p.y - b.y1], [dy, b.y2 - p.y]]) {
      if (pp === 0) { if (qq < 0) return false; continue; }
      const t = qq / pp;
      if (pp < 0) { if (t > t1) return false; if (t > t0) t0 = t; } else { if (t < t0) return false; if (t < t1) t1 = t; }
    }
    return true;
  }
  function bodyBox(n, pad) {
    const p = n.position(), w = n.width() / 2 + pad, h = n.height() / 2 + pad;
    return { x1: p.x - w, x2: p.x + w, y1: p.y - h, y2: p.y + h };
  }
  function edgePath(e, bend) {
    const a = e.source().position(), b = e.target().position();
    if (!bend) return [a, b];
    const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    // where cytoscape puts a segment point: `bend` along the normal (-dy, dx) of source -> target
    const nx = -(b.y - a.y) / len, ny = (b.x - a.x) / len;
    return [a, { x: (a.x + b.x) / 2 + nx * bend, y: (a.y + b.y) / 2 + ny * bend }, b];
  }
  function pathHits(points, boxes) {
    for (let i = 0; i < points.length - 1; i++) if (boxes.some((b) => segmentHitsBox(points[i], points[i + 1], b))) return true;
    return false;
  }
  /* An edge drawn straight through a node it does not join reads as passing through that
     article ("copied from" across a row of articles): bend it around, the smallest bend that
     clears every other node, and their labels too when some bend can. */
  function routeEdges(cy) {
    const labels = new Map(cy.nodes().map((n) => [n.id(), labelBox(n)]));
    cy.edges().forEach((e) => {
      const others = cy.nodes().filter((n) => n !== e.source() && n !== e.target());
      const bodies = others.map((n) => bodyBox(n, PAD));
      const texts = bodies.concat(others.map((n) => labels.get(n.id())).filter(Boolean));
      for (const boxes of [texts, bodies]) {
        if (!pathHits(edgePath(e, 0), boxes)) return;
        for (let step = 1; step <= 12; step++) {
          for (const sign of [1, -1]) {
            const bend = sign * step * 18;
            if (!pathHits(edgePath(e, bend), boxes)) { e.data("bend", bend); e.addClass("routed"); return; }
          }
        }
      }
    });
  }
  function labelBox(ele) {
    const b = ele.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false });
    return b && b.w > 0 && b.h > 0 ? b : null;
  }
  /* Labels are placed most important first (origins, controllers, outlets, articles, then
     edges); one that would cover a label already placed, or a node, is hidden until the
     pointer is on its node or edge. */
  function placeLabels(cy) {
    const rank = { origin: 0, controller: 1, outlet: 2, article: 3 };
    const placed = cy.nodes().map((n) => bodyBox(n, 1));
    const bodies = cy.nodes().map((n) => ({ n, box: bodyBox(n, 1) }));
    const nodes = cy.nodes().sort((a, b) => rank[a.data("type")] - rank[b.data("type")] || (a.id() < b.id() ? -1 : 1));
    nodes.forEach((n) => {
      const b = labelBox(n);
      if (!b) return;
      const clash = placed.some((p, i) => overlaps(b, p) && !(i < bodies.length && bodies[i].n === n));
      if (clash) n.addClass("quiet"); else placed.push(b);
    });
    // "copied from" first: it says why two articles are one origin
    const edges = cy.edges().sort((a, b) => (b.data("label") === "copied from") - (a.data("label") === "copied from"));
    edges.forEach((e) => {
      if (!e.data("label") || e.data("label") === "published") return;
      // where it fits: on the edge's middle, or a little above or below it
      for (const nudge of ["", "nudge-up", "nudge-down"]) {
        if (nudge) e.addClass(nudge);
        const b = labelBox(e);
        if (!b) return;
        if (!placed.some((p) => overlaps(b, p))) { placed.push(b); return; }
        if (nudge) e.removeClass(nudge);
      }
      e.addClass("quiet");
    });
  }

  function drawGraph(box, info, detail, entName) {
    const k = detail.cluster;
    const nodes = new Map(), edges = new Map();
    const node = (id, label, type, extra) => { if (!nodes.has(id)) nodes.set(id, { data: Object.assign({ id, label: short(label, 40), full: label, type }, extra || {}) }); };
    const edge = (s, t, label) => { const id = s + "->" + t; if (s !== t && !edges.has(id)) edges.set(id, { data: { id, source: s, target: t, label } }); };
    for (const d of detail.documents) {
      const outlet = "outlet:" + (d.outlet || "?");
      node(outlet, d.outlet || "(outlet unknown)", "outlet");
      node("doc:" + d.id, d.title || d.id, "article", { doc: d.id, outlet: d.outlet, published: d.published });
      edge(outlet, "doc:" + d.id, "published");
    }
    for (const o of k.origins || []) {
      const oid = "origin:" + (o.id || o.name);
      node(oid, o.name || o.id || "unnamed source", "origin", { kind: o.kind, group: o.group, reason: o.reason });
      for (const d of o.documents || []) if (nodes.has("doc:" + d)) edge("doc:" + d, oid, "cites");
      for (const v of o.via || []) if (nodes.has("doc:" + v)) edge("doc:" + v, oid, "relays");
      if (o.copied_from) for (const d of o.documents || []) if (nodes.has("doc:" + d) && nodes.has("doc:" + o.copied_from)) edge("doc:" + d, "doc:" + o.copied_from, "copied from");
      let prev = oid;
      for (const c of o.controllers || []) {
        if (c === o.entity) continue;
        node("ent:" + c, entName(c), "controller");
        edge(prev, "ent:" + c, "controlled by");
        prev = "ent:" + c;
      }
    }
    if (typeof cytoscape !== "function") { info.textContent = "Graph library unavailable."; return; }
    const nodeStyles = Object.entries(NODE_STYLES).map(([type, st]) => ({
      selector: `node[type='${type}']`, style: { "background-color": st.color, shape: st.shape, width: st.size, height: st.size },
    }));
    const edgeStyles = Object.entries(EDGE_STYLES).map(([label, st]) => ({
      selector: `edge[label='${label}']`, style: { "line-style": st.line, "line-color": st.color, "target-arrow-color": st.color },
    }));
    const cy = cytoscape({
      container: box,
      elements: [...nodes.values(), ...edges.values()],
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 120, "text-valign": "bottom", "text-margin-y": 3, "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": 1 } },
        ...nodeStyles,
        { selector: "node:selected", style: { "border-width": 3, "border-color": "#ffb347" } },
        { selector: "edge", style: { width: 1.5, "target-arrow-shape": "triangle", "curve-style": "straight", label: "data(label)", "font-size": 8, color: "#5d6678", "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": 1 } },
        ...edgeStyles,
        { selector: "edge[label='published']", style: { label: "" } }, // obvious; less clutter
        // Labels that would cover another label or node wait for the pointer (placeLabels).
        { selector: "edge.nudge-up", style: { "text-margin-y": -9 } },
        { selector: "edge.nudge-down", style: { "text-margin-y": 9 } },
        { selector: ".quiet", style: { label: "" } },
        { selector: "node.quiet.hover, node.quiet:selected", style: { label: "data(label)", "z-index": 10 } },
        { selector: "edge.quiet.hover, edge.quiet:selected", style: { label: "data(label)", "z-index": 10 } },
        // An edge that would cross a node it does not join bends around it (routeEdges).
        { selector: "edge.routed", style: { "curve-style": "segments", "segment-distances": "data(bend)", "segment-weights": 0.5 } },
      ],
      layout: { name: "breadthfirst", directed: true, spacingFactor: 1.25, padding: 20 },
    });
    routeEdges(cy);
    placeLabels(cy);
    cy.fit(undefined, 20);
    cy.on("mouseover", "node, edge", (evt) => evt.target.addClass("hover"));
    cy.on("mouseout", "node, edge", (evt) => evt.target.removeClass("hover"));
    cy.on("tap", "node", (evt) => {
      const d = evt.target.data();
      clear(info);
      info.appendChild(el("div", {}, el("strong", { id: "graph-node-label", dir: "auto" }, d.full)));
      info.appendChild(el("div", { class: "kind" }, d.type + (d.kind ? " \u00b7 " + d.kind : "") + (typeof d.group === "string" ? " \u00b7 group: " + d.group : "")));
      if (d.reason) info.appendChild(el("div", { class: "reason", dir: "auto" }, d.reason));
      if (d.outlet) info.appendChild(el("div", {}, bdi(d.outlet), d.published ? ", " + d.published : ""));
      const links = evt.target.connectedEdges().map((e) => [bdi(e.source().data("full")), ` \u2014${e.data("label")}\u2192 `, bdi(e.target().data("full"))]);
      info.appendChild(el("ul", {}, links.map((t) => el("li", {}, t))));
    });
    window.__sourcetraceGraph = cy; // lets the browser tests find node positions on the canvas
  }

  // -- reuse view -----------------------------------------------------------------------------
  let reuseLoaded = false;
  async function initReuse() {
    if (reuseLoaded) return;
    reuseLoaded = true;
    const res = await source.reuse();
    const list = clear($("#reuse-pairs"));
    if (!res.items.length) { list.appendChild(el("li", { class: "empty" }, "No text reuse found.")); return; }
    res.items.forEach((r, i) => {
      const [ma, mb] = r.meta;
      const words = r.passages.reduce((n, p) => n + (p.words || 0), 0);
      list.appendChild(el("li", { dataset: { pair: String(i) }, onclick: () => showPair(r, i) },
        el("div", {}, el("strong", {}, bdi(ma.outlet || ma.id)), " \u2194 ", el("strong", {}, bdi(mb.outlet || mb.id))),
        el("div", { class: "kind" }, `${r.passages.length} passage(s), ${words} words`, r.earlier ? ["; earlier: ", bdi((r.earlier === ma.id ? ma : mb).outlet || r.earlier)] : null)));
    });
    showPair(res.items[0], 0);
  }

  async function showPair(r, i) {
    document.querySelectorAll("#reuse-pairs li").forEach((li) => li.classList.toggle("selected", li.dataset.pair === String(i)));
    const [da, db] = await Promise.all(r.docs.map((d) => source.document(d)));
    const sides = [[$("#reuse-a"), da, "a"], [$("#reuse-b"), db, "b"]];
    for (const [box, doc, side] of sides) {
      clear(box);
      if (!doc) { box.appendChild(el("p", { class: "empty" }, "Article not found.")); continue; }
      box.appendChild(el("div", { class: "head clamp", title: doc.title || doc.id }, el("strong", {}, doc.outlet ? bdi(doc.outlet) : "(outlet unknown)"), doc.published ? ` (${doc.published})` : "", " \u2014 ", bdi(doc.title || doc.id)));
      const spans = r.passages.map((p, n) => ({ start: p[side][0], end: p[side][1], cls: "passage", data: { passage: String(n) }, title: `${p.words} words, similarity ${p.similarity}` }));
      const text = highlighted(doc.text, spans);
      text.dataset.side = side;
      box.appendChild(text);
    }
    for (const mark of document.querySelectorAll("#reuse-compare mark.passage")) {
      mark.addEventListener("click", () => {
        const n = mark.dataset.passage;
        const here = mark.closest(".doctext").dataset.side;
        document.querySelectorAll("#reuse-compare mark.passage").forEach((m) => m.classList.toggle("active", m.dataset.passage === n));
        const other = document.querySelector(`#reuse-compare .doctext[data-side="${here === "a" ? "b" : "a"}"] mark.passage[data-passage="${n}"]`);
        if (other) {
          const box = other.closest(".doctext");
          box.scrollTop = Math.max(0, other.offsetTop - box.offsetTop - 20);
          other.scrollIntoView({ block: "nearest" });
        }
      });
    }
  }

  // -- map and timeline ----------------------------------------------------------------------
  let mapLoaded = false;
  async function initMap() {
    if (mapLoaded) return;
    mapLoaded = true;
    const map = clear($("#map"));
    const W = 960, H = 480;
    let atlas = jsonScript("atlas");
    if (!atlas && staticBase) {
      const res = await fetch(staticBase + "/vendor/countries-110m.json");
      atlas = res.ok ? await res.json() : null;
    }
    const hasGeo = typeof d3 !== "undefined" && d3.geoPath && typeof topojson !== "undefined";
    const projection = hasGeo ? d3.geoNaturalEarth1().fitExtent([[6, 6], [W - 6, H - 6]], { type: "Sphere" }) : null;
    if (hasGeo && atlas) {
      const path = d3.geoPath(projection);
      const countries = topojson.feature(atlas, atlas.objects.countries);
      const g = svg("g", { class: "countries" });
      for (const f of countries.features) {
        const d = path(f);
        if (d) g.appendChild(svg("path", { class: "country", d }, undefined));
      }
      map.appendChild(svg("path", { d: path({ type: "Sphere" }), fill: "none", stroke: "#9aa3b5" }));
      map.appendChild(g);
    }
    const res = await source.places();
    const located = res.items.filter((p) => typeof p.lat === "number" && typeof p.lon === "number");
    const max = Math.max(1, ...located.map((p) => p.count));
    const pts = svg("g", { class: "places" });
    const labels = svg("g", { class: "place-labels" }); // above every point, never catching clicks
    located.sort((a, b) => b.count - a.count);
    for (const p of located) {
      const xy = projection ? projection([p.lon, p.lat]) : [((p.lon + 180) / 360) * W, ((90 - p.lat) / 180) * H];
      if (!xy) continue;
      const r = 3 + 12 * Math.sqrt(p.count / max);
      const c = svg("circle", { class: "place", cx: xy[0].toFixed(1), cy: xy[1].toFixed(1), r: r.toFixed(1), "data-place": p.id });
      c.appendChild(svg("title", {}, `${p.name}: ${p.count} mention(s)`));
      c.addEventListener("click", () => showPlace(p, c));
      pts.appendChild(c);
      labels.appendChild(svg("text", { class: "place-label", x: (xy[0] + r + 2).toFixed(1), y: (xy[1] + 4).toFixed(1) }, `${p.name} (${p.count})`));
    }
    map.appendChild(pts);
    map.appendChild(labels);
    if (!located.length) $("#place-info").textContent = "No located places.";
    drawTimeline(await source.timeline());
  }

  function showPlace(p, circle) {
    document.querySelectorAll("#map circle.place").forEach((c) => c.classList.toggle("selected", c === circle));
    const info = clear($("#place-info"));
    info.appendChild(el("strong", { id: "place-name", dir: "auto" }, p.name));
    info.appendChild(el("div", { class: "kind" }, `${p.country || ""} \u00b7 ${p.count} mention(s)`));
    info.appendChild(el("ul", {}, p.documents.map((d) => el("li", {}, bdi(d.outlet || "?"), ": ", bdi(d.title || d.id)))));
  }

  function drawTimeline(res) {
    const box = clear($("#timeline"));
    const items = res.items.filter((k) => k.first_appearance).sort((a, b) => b.n_outlets - a.n_outlets || cmp(a.first_appearance, b.first_appearance)).slice(0, 30);
    items.sort((a, b) => cmp(a.first_appearance, b.first_appearance));
    const W = 960, left = 330, right = 50, row = 22, top = 30;
    const H = top + row * Math.max(1, items.length) + 10;
    box.setAttribute("viewBox", `0 0 ${W} ${H}`);
    if (!items.length) { box.appendChild(svg("text", { x: 10, y: 20 }, "No dated claims.")); return; }
    const t = (s) => Date.parse(String(s).slice(0, 10) + "T00:00:00Z");
    const all = items.flatMap((k) => [k.first_appearance, ...k.dates]).map(t).filter((x) => !Number.isNaN(x));
    let lo = Math.min(...all), hi = Math.max(...all);
    if (hi === lo) { lo -= 86400000; hi += 86400000; }
    const x = (v) => left + ((t(v) - lo) / (hi - lo)) * (W - left - right);
    const axis = svg("g", { class: "axis" });
    axis.appendChild(svg("line", { x1: left, x2: W - right, y1: top - 8, y2: top - 8 }));
    const days = Math.round((hi - lo) / 86400000);
    const step = Math.max(1, Math.ceil(days / 8));
    for (let d = 0; d <= days; d += step) {
      const iso = new Date(lo + d * 86400000).toISOString().slice(0, 10);
      axis.appendChild(svg("line", { x1: x(iso), x2: x(iso), y1: top - 12, y2: top - 4 }));
      axis.appendChild(svg("text", { x: x(iso), y: top - 15, "text-anchor": "middle" }, iso));
    }
    box.appendChild(axis);
    items.forEach((k, i) => {
      const y = top + i * row + row / 2;
      const g = svg("g", { class: "row", "data-claim": k.id });
      g.appendChild(svg("text", { x: 6, y: y + 4 }, short(k.label, 52)));
      const ds = k.dates.filter((v) => !Number.isNaN(t(v)));
      if (ds.length) {
        const xs = ds.map(x);
        g.appendChild(svg("line", { class: "span", x1: Math.min(x(k.first_appearance), ...xs), x2: Math.max(...xs), y1: y, y2: y }));
        xs.forEach((xx) => g.appendChild(svg("circle", { class: "doc", cx: xx, cy: y, r: 4 })));
      }
      const first = svg("circle", { class: "first", cx: x(k.first_appearance), cy: y, r: 6 });
      first.appendChild(svg("title", {}, `first seen ${k.first_appearance}; ${k.n_outlets} outlet(s)`));
      g.appendChild(first);
      g.style.cursor = "pointer";
      g.addEventListener("click", () => { location.hash = "#claim/" + encodeURIComponent(k.id); });
      box.appendChild(g);
    });
  }

  // -- entities and language ------------------------------------------------------------------
  let entitiesInit = false;
  async function loadEntities() {
    const res = await source.entitiesList($("#entity-q").value.trim());
    const body = clear($("#entities-table tbody"));
    if (!res.items.length) body.appendChild(el("tr", {}, el("td", { colspan: 5, class: "empty" }, "No entities.")));
    for (const e of res.items) {
      body.appendChild(el("tr", {}, el("td", {}, el("strong", { dir: "auto" }, e.name || e.id)), el("td", {}, e.type || ""),
        el("td", {}, bdiList(e.aliases || [], "; ")), el("td", {}, bdiList((e.controllers || []).map((c) => c.name), " \u2192 ")),
        el("td", { class: "num" }, e.mentions)));
    }
  }
  function initEntities() {
    if (entitiesInit) return;
    entitiesInit = true;
    let timer = null;
    $("#entity-q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(loadEntities, 150); });
    loadEntities();
  }

  let languageInit = false;
  async function initLanguage() {
    if (languageInit) return;
    languageInit = true;
    const res = await source.language();
    const techniques = [...new Set(res.counts.map((c) => c.technique))].sort();
    const outlets = [...new Set(res.counts.map((c) => c.outlet))].sort();
    const table = $("#language-counts");
    clear(table.tHead).appendChild(el("tr", {}, el("th", {}, "Outlet"), techniques.map((t) => el("th", { class: "num" }, t.replace(/_/g, " ")))));
    const body = clear(table.tBodies[0]);
    if (!outlets.length) body.appendChild(el("tr", {}, el("td", { class: "empty" }, "No persuasion techniques detected.")));
    for (const o of outlets) {
      body.appendChild(el("tr", {}, el("td", { dir: "auto" }, o), techniques.map((t) => {
        const hit = res.counts.find((c) => c.outlet === o && c.technique === t);
        return el("td", { class: "num" }, hit ? hit.n : "");
      })));
    }
    const list = clear($("#language-spans"));
    for (const s of res.spans) {
      list.appendChild(el("li", {}, el("span", { class: "flag" }, (s.technique || "").replace(/_/g, " ")), " ",
        el("mark", { class: "lang", dir: "auto" }, s.text || ""), el("div", { class: "kind" }, bdi(s.outlet || "?"), " \u2014 ", bdi(s.title || s.doc))));
    }
  }

  // -- routing ---------------------------------------------------------------------------------
  const VIEWS = { claims: null, reuse: initReuse, map: initMap, entities: initEntities, language: initLanguage };
  // The report renders its narratives section on the server; the web app has pages for them.
  if (document.getElementById("view-narratives")) VIEWS.narratives = null;

  function openNarrative(id) {
    const node = document.getElementById("narrative-" + id);
    document.querySelectorAll("details.narrative").forEach((d) => d.classList.toggle("selected", d === node));
    if (!node) return;
    node.open = true;
    node.scrollIntoView({ block: "start" });
  }

  async function route() {
    const hash = decodeURIComponent(location.hash.replace(/^#/, ""));
    let view = hash.split("/")[0] || "claims";
    if (view === "claim") view = "claims";
    if (view === "narrative") view = "narratives";
    if (!(view in VIEWS)) view = "claims";
    for (const name of Object.keys(VIEWS)) $("#view-" + name).hidden = name !== view;
    document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("active", a.dataset.view === view));
    if (VIEWS[view]) await VIEWS[view]();
    if (hash.startsWith("claim/")) await showClaim(hash.slice("claim/".length));
    if (hash.startsWith("narrative/") && VIEWS.narratives !== undefined) openNarrative(hash.slice("narrative/".length));
  }

  async function start() {
    const data = jsonScript("data");
    const config = jsonScript("config");
    source = data ? new EmbeddedSource(data) : new ApiSource((config && config.api) || "/api");
    staticBase = data ? null : (config && config.static) || "/static";
    window.addEventListener("hashchange", () => route().catch(report));
    await initClaims();
    await route();
    document.body.dataset.ready = "1"; // the browser tests wait for this
  }
  function report(err) {
    console.error(err);
    const p = el("p", { class: "flag" }, "Error: " + (err && err.message ? err.message : String(err)));
    $("main").prepend(p);
  }
  start().catch(report);
})();
