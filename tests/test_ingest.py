"""Ingest: every reader, metadata, language, and one clear error per bad input."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sourcetrace.ingest import IngestOptions, iter_inputs
from sourcetrace.ingest.dates import to_iso
from sourcetrace.ingest.fragments import fragment_text
from sourcetrace.ingest.language import detect_language
from sourcetrace.ingest.plain import guess_title
from sourcetrace.model import Document, IngestError

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def sha16(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def run(
    inputs: list[str | Path], **options: object
) -> tuple[list[Document], list[IngestError]]:
    docs: list[Document] = []
    errors: list[IngestError] = []
    for item in iter_inputs(inputs, IngestOptions(**options)):  # type: ignore[arg-type]
        (docs if isinstance(item, Document) else errors).append(item)
    return docs, errors


def copy(tmp_path: Path, *names: str) -> Path:
    """Fixtures in a folder of their own (without the fixtures' metadata.csv)."""
    for name in names:
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


# -- plain text ---------------------------------------------------------------------------


def test_txt_text_is_the_file_unchanged_with_title(tmp_path: Path) -> None:
    raw = (
        b"Bakery wins regional prize\r\n\r\n"
        b"The Lindmoor bakery won the regional bread prize on Sunday, the jury said.\r\n"
        b"  Its owner said the recipe came from her grandmother.  \r\n"
    )
    path = tmp_path / "bakery.txt"
    path.write_bytes(raw)
    (doc,), errors = run([path])
    assert errors == []
    assert doc.id == "bakery"
    assert doc.text == raw.decode("utf-8")  # CRLF and spaces kept: offsets index the file
    assert doc.title == "Bakery wins regional prize"
    assert doc.source_path == str(path)
    assert doc.language == "en"
    start = doc.text.index("Lindmoor")
    assert raw.decode()[start : start + 8] == "Lindmoor"


def test_txt_without_title_line(tmp_path: Path) -> None:
    (doc,), _ = run([copy(tmp_path, "council-vote.txt") / "council-vote.txt"])
    assert doc.title is None
    assert doc.text == (FIXTURES / "council-vote.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Bridge reopens\n\nThe bridge reopened on Monday.\n", "Bridge reopens"),
        ("MAY 2024\n\nBridge reopens\n\nThe bridge reopened.\n", "Bridge reopens"),
        ("2024-05-03\nBridge reopens after repairs\nThe bridge reopened.\n",
         "Bridge reopens after repairs"),
        ("The bridge reopened on Monday, officials said.\nMore text.\n", None),
        ("Bridge reopens\n", None),  # the only line is the text, not a title above it
        ("By Anna Holm\n\nThe bridge reopened.\n", None),
        ("Why did the bridge close?\n\nIt was unsafe.\n", "Why did the bridge close?"),
        ("x" * 250 + "\n\nThe text.\n", None),
    ],
)
def test_guess_title(text: str, title: str | None) -> None:
    assert guess_title(text) == title


# -- HTML ---------------------------------------------------------------------------------


def test_html_reader_extracts_text_and_metadata(tmp_path: Path) -> None:
    (doc,), errors = run([copy(tmp_path, "page.html") / "page.html"])
    assert errors == []
    assert doc.id == "page"
    assert "returned to work on Wednesday" in doc.text
    assert "Sport" not in doc.text and "All rights reserved" not in doc.text
    assert doc.title == "Ferry strike ends after two weeks"
    assert doc.outlet == "Lindmoor Courier"
    assert doc.published is not None and doc.published.startswith("2024-02-14")
    assert doc.url == "https://www.lindmoor-courier.example/news/ferry-strike-ends"


def test_html_in_declared_latin1_is_read(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="iso-8859-1"><title>Caf\xe9 opens</title></head><body>'
        "<article><p>A new caf\xe9 opened in the old station building on Saturday, the owner "
        "said, and it will serve breakfast to commuters every weekday morning.</p>"
        "<p>The station had been empty for ten years before the town sold it.</p>"
        "</article></body></html>"
    )
    (tmp_path / "cafe.html").write_bytes(html.encode("latin-1"))
    (doc,), errors = run([tmp_path / "cafe.html"])
    assert errors == []
    assert "café" in doc.text


# -- JSON Lines ---------------------------------------------------------------------------


def test_jsonl_reader_ids_errors_and_dates(tmp_path: Path) -> None:
    path = copy(tmp_path, "wire.jsonl") / "wire.jsonl"
    docs, errors = run([path])
    assert [d.id for d in docs] == ["wire-1", sha16("https://wire.example/airport"), "wire-5"]
    first, airport, police = docs
    assert (first.title, first.outlet, first.published) == (
        "Port traffic up", "Lindmoor Wire", "2024-04-02",
    )
    assert airport.published == "2024-04-05"
    assert airport.outlet == "wire.example"  # from the URL's host when nothing names it
    assert police.outlet is None and police.url is None
    assert [(e.line, e.path) for e in errors] == [(3, str(path)), (4, str(path))]
    assert "malformed JSON" in errors[0].problem
    assert "no text" in errors[1].problem and errors[1].doc_id == "wire-4"
    assert str(errors[0]).startswith(f"{path}:3: ")


def test_jsonl_field_map(tmp_path: Path) -> None:
    path = copy(tmp_path, "mapped.jsonl") / "mapped.jsonl"
    field_map = {"id": "doc_key", "text": "body", "title": "headline", "published": "date",
                 "outlet": "site"}
    (doc,), errors = run([path], field_map=field_map)
    assert errors == []
    assert (doc.id, doc.title, doc.published, doc.outlet) == (
        "m-1", "Museum returns doors", "2023-11-30", "Valley Times",
    )
    assert doc.text.startswith("The museum said")
    # Without the map the body is not found: one error for the line, no document.
    docs, errors = run([path])
    assert docs == [] and len(errors) == 1 and errors[0].line == 1


def _jsonl_bytes(n: int) -> bytes:
    lines = [
        json.dumps({"id": f"g{i}", "text": f"Story number {i} says the ferry left the harbour "
                    "on time and the passengers were happy with the new timetable."})
        for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_jsonl_gz_and_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(_jsonl_bytes(400))
    (tmp_path / "good.jsonl.gz").write_bytes(data)
    docs, errors = run([tmp_path / "good.jsonl.gz"])
    assert errors == [] and len(docs) == 400 and docs[0].id == "g0"

    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    docs, errors = run([tmp_path / "cut.jsonl.gz"])
    assert 0 < len(docs) < 400
    assert [d.id for d in docs] == [f"g{i}" for i in range(len(docs))]
    assert len(errors) == 1 and errors[0].problem.startswith("truncated gzip")
    assert errors[0].path == str(tmp_path / "cut.jsonl.gz")


def test_jsonl_ids_fall_back_to_stem_of_gz_name(tmp_path: Path) -> None:
    line = json.dumps({"text": "A short note about the weather in the hills this week."})
    (tmp_path / "notes.jsonl.gz").write_bytes(gzip.compress(line.encode()))
    (doc,), _ = run([tmp_path / "notes.jsonl.gz"])
    assert doc.id == "notes-1"


# -- WARC ---------------------------------------------------------------------------------

ARTICLE_HTML = """<html><head><title>{title}</title>{meta}</head><body><article>
<h1>{title}</h1><p>{body}</p>
<p>The mayor said the decision had been taken after a long public consultation in the spring.</p>
</article></body></html>"""


def warc_record(url: str, html: str, date: str = "2024-07-01T06:00:00Z",
                content_type: str = "text/html; charset=utf-8", status: str = "200 OK",
                kind: str = "response") -> bytes:
    """One WARC record, written by hand as the WARC 1.0 spec lays it out."""
    body = html.encode()
    if kind == "response":
        block = (
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        block_type = "application/http; msgtype=response"
    else:  # a resource record holds the page itself, without HTTP headers
        block, block_type = body, content_type
    head = (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {url}\r\nWARC-Date: {date}\r\n"
        f"WARC-Record-ID: <urn:uuid:{sha16(url + kind)}>\r\n"
        f"Content-Type: {block_type}\r\nContent-Length: {len(block)}\r\n\r\n"
    ).encode()
    return head + block + b"\r\n\r\n"


def warc_records() -> list[bytes]:
    dated = '<meta property="article:published_time" content="2024-06-20">'
    return [
        warc_record("https://news.example/pool", ARTICLE_HTML.format(
            title="Pool to reopen", meta=dated,
            body="The public swimming pool will reopen in August after the roof was replaced, "
                 "the council said on Monday.")),
        warc_record("https://news.example/logo.png", "not html", content_type="image/png"),
        warc_record("https://www.other.example/park", ARTICLE_HTML.format(
            title="Park gets new trees", meta="",
            body="Two hundred oak trees will be planted in the city park this autumn, the "
                 "gardeners association announced.")),
        warc_record("https://news.example/school", ARTICLE_HTML.format(
            title="School extension approved", meta="",
            body="The primary school will get four new classrooms by next year, the education "
                 "office confirmed on Tuesday.")),
    ]


def test_warc_reader(tmp_path: Path) -> None:
    not_found = warc_record("https://news.example/gone", ARTICLE_HTML.format(
        title="Page not found", meta="", body="The page you asked for is not here any more, "
        "please use the search box or go back to the front page."), status="404 Not Found")
    resource = warc_record("https://news.example/archive/tram", ARTICLE_HTML.format(
        title="Tram line extended", meta="", body="The tram line will run to the new hospital "
        "from next year, the transport authority said."), kind="resource",
        content_type="text/html")
    (tmp_path / "crawl.warc").write_bytes(b"".join([*warc_records(), not_found, resource]))
    docs, errors = run([tmp_path / "crawl.warc"])
    assert errors == []
    assert [d.url for d in docs] == [
        "https://news.example/pool", "https://www.other.example/park",
        "https://news.example/school", "https://news.example/archive/tram",
    ]
    assert [d.id for d in docs] == [sha16(d.url or "") for d in docs]
    pool, park, _, _ = docs
    assert pool.published == "2024-06-20"  # from the page
    assert park.published is not None and park.published.startswith("2024-07-01")  # WARC-Date
    assert "oak trees" in park.text and park.title == "Park gets new trees"
    assert park.outlet == "other.example"


def test_warc_gz_and_damage(tmp_path: Path) -> None:
    records = warc_records()
    gz = b"".join(gzip.compress(r) for r in records)
    (tmp_path / "crawl.warc.gz").write_bytes(gz)
    docs, errors = run([tmp_path / "crawl.warc.gz"])
    assert errors == [] and len(docs) == 3

    (tmp_path / "cut.warc.gz").write_bytes(gz[:-150])
    docs, errors = run([tmp_path / "cut.warc.gz"])
    assert [d.url for d in docs] == ["https://news.example/pool", "https://www.other.example/park"]
    assert len(errors) == 1 and "truncated gzip" in errors[0].problem

    plain = b"".join(records)
    (tmp_path / "cut.warc").write_bytes(plain[:-200])
    docs, errors = run([tmp_path / "cut.warc"])
    assert len(docs) == 2
    assert len(errors) == 1 and "truncated WARC" in errors[0].problem

    # Cut inside the header block of the last record: fastwarc stops quietly, we do not.
    header_cut = b"".join(records[:3]) + records[3][:60]
    (tmp_path / "headcut.warc").write_bytes(header_cut)
    docs, errors = run([tmp_path / "headcut.warc"])
    assert len(docs) == 2
    assert len(errors) == 1 and "WARC" in errors[0].problem
    assert errors[0].path == str(tmp_path / "headcut.warc")


# -- feeds --------------------------------------------------------------------------------


def test_rss_feed(tmp_path: Path) -> None:
    docs, errors = run([copy(tmp_path, "feed.rss") / "feed.rss"])
    assert errors == []
    library, market = docs
    assert library.id == sha16("https://evening.example/library-hours")
    assert library.outlet == market.outlet == "Lindmoor Evening News"
    assert library.title == "Library extends opening hours"
    assert library.url == "https://evening.example/library-hours"
    assert library.published == "2024-03-04T09:15:00+00:00"
    assert "<p>" not in library.text
    assert library.text == (
        "The city library will stay open until nine in the evening from April, the librarian "
        "said.\n\nStudents had asked for longer hours during the exam period."
    )


def test_atom_feed_in_xml_and_other_xml(tmp_path: Path) -> None:
    copy(tmp_path, "atom-feed.xml", "not-a-feed.xml")
    (doc,), errors = run([tmp_path])  # in a folder, XML that is no feed is passed over, said so
    assert [(e.kind, Path(e.path).name) for e in errors] == [("skipped", "not-a-feed.xml")]
    assert (doc.title, doc.outlet, doc.url) == (
        "Lighthouse restored", "Coastal Observer", "https://coastal.example/lighthouse",
    )
    assert doc.published == "2024-06-01T10:00:00+00:00"
    docs, errors = run([tmp_path / "not-a-feed.xml"])  # named explicitly: an error
    assert docs == [] and len(errors) == 1 and errors[0].path.endswith("not-a-feed.xml")


def test_fragment_text() -> None:
    assert fragment_text("<div><p>One  two.</p><p>Three<br>four &amp; five</p></div>") == (
        "One two.\n\nThree\n\nfour & five"
    )
    assert fragment_text("plain &amp; simple") == "plain & simple"


# -- URL lists ----------------------------------------------------------------------------


@pytest.fixture()
def local_site(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(FIXTURES / "page.html", site / "ferry.html")
    handler = partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_list_needs_fetch(tmp_path: Path) -> None:
    (tmp_path / "list.txt").write_text("https://a.example/1\n\nhttps://b.example/2\n")
    docs, errors = run([tmp_path / "list.txt"])
    assert docs == [] and len(errors) == 1
    assert "--fetch" in errors[0].problem and errors[0].path == str(tmp_path / "list.txt")


def test_url_list_fetches_local_pages(tmp_path: Path, local_site: str) -> None:
    good, missing = f"{local_site}/ferry.html", f"{local_site}/gone.html"
    (tmp_path / "pages.urls").write_text(f"# ferry story\n{good}\n{missing}\n")
    docs, errors = run([tmp_path / "pages.urls"], fetch=True)
    (doc,) = docs
    assert doc.id == sha16(good) and doc.url == good
    assert "returned to work on Wednesday" in doc.text
    assert doc.outlet == "Lindmoor Courier"
    assert len(errors) == 1 and errors[0].line == 3 and missing in errors[0].problem


# -- metadata -----------------------------------------------------------------------------


def test_folder_metadata_applies(tmp_path: Path) -> None:
    docs, errors = run([FIXTURES / "harbour-bridge.txt", FIXTURES / "council-vote.txt"])
    assert errors == []
    bridge, council = docs
    # Filled from the fixtures' metadata.csv beside the files; an empty cell keeps the title.
    assert bridge.outlet == "Lindmoor Daily" and bridge.published == "2023-05-04"
    assert bridge.title == "Harbour bridge reopens after three months of repairs"
    assert bridge.extra["section"] == "city"
    assert council.title == "Night buses extended"
    assert council.published == "2023-05-09T14:00:00"
    assert council.outlet == "council-news.example"  # host of the metadata URL, no www.


def test_explicit_metadata_overrides(tmp_path: Path) -> None:
    copy(tmp_path, "harbour-bridge.txt", "wire.jsonl")
    shutil.copy(FIXTURES / "metadata.csv", tmp_path / "metadata.csv")
    meta = tmp_path / "extra-meta.json"
    meta.write_text(json.dumps({
        "harbour-bridge": {"outlet": "Bridge Weekly", "published": "2023-05-06"},
        "wire-1": {"title": "Container traffic rises"},
    }))
    docs, errors = run([tmp_path], meta=[meta])
    assert [e.line for e in errors] == [3, 4]  # wire.jsonl's own bad lines, nothing else
    by_id = {d.id: d for d in docs}
    assert by_id["harbour-bridge"].outlet == "Bridge Weekly"
    assert by_id["harbour-bridge"].published == "2023-05-06"
    assert by_id["harbour-bridge"].url == "https://lindmoor-daily.example/bridge"
    assert by_id["wire-1"].title == "Container traffic rises"
    assert by_id["wire-1"].outlet == "Lindmoor Wire"  # untouched where metadata is silent

    tsv = tmp_path / "meta.tsv"
    tsv.write_text("id\toutlet\nwire-1\tTab Times\n")
    docs, _ = run([tmp_path / "wire.jsonl"], meta=[tsv])
    assert docs[0].outlet == "Tab Times"


def test_bad_metadata_file_is_one_error(tmp_path: Path) -> None:
    copy(tmp_path, "council-vote.txt")
    bad = tmp_path / "meta.json"
    bad.write_text('{"council-vote": {"outlet": ')
    docs, errors = run([tmp_path / "council-vote.txt"], meta=[bad])
    assert [d.id for d in docs] == ["council-vote"]
    assert len(errors) == 1 and errors[0].path == str(bad) and "metadata" in errors[0].problem


# -- language -----------------------------------------------------------------------------


def test_non_english_is_reported_and_skipped(tmp_path: Path) -> None:
    copy(tmp_path, "german.txt", "council-vote.txt")
    docs, errors = run([tmp_path])
    assert [d.id for d in docs] == ["council-vote"]
    (error,) = errors
    assert error.path == str(tmp_path / "german.txt") and error.doc_id == "german"
    assert error.problem == "not English (detected 'de'); skipped"
    docs, errors = run([tmp_path], languages=("en", "de"))
    assert errors == [] and {d.id: d.language for d in docs} == {
        "council-vote": "en", "german": "de",
    }


def test_language_detection() -> None:
    assert detect_language("Bridge reopens") == "en"  # too short to judge: assume English
    assert detect_language("Le conseil municipal a voté mardi pour prolonger le service de "
                           "bus de nuit vers les banlieues est, a déclaré une porte-parole "
                           "de la mairie lors d'une conférence de presse.") == "fr"


# -- bad inputs ---------------------------------------------------------------------------


def test_every_bad_input_is_one_error_and_others_come_through(tmp_path: Path) -> None:
    copy(tmp_path, "council-vote.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\n ")
    (tmp_path / "binary.txt").write_bytes(b"GIF89a\x00\x01\x02")
    # Not UTF-8, and no other encoding reads it as text (a Latin-1 file is read: see
    # test_ingest_edges.py).
    (tmp_path / "latin.txt").write_bytes(b"Caf" + bytes(range(128, 256)) * 4)
    (tmp_path / "huge.txt").write_text("word " * 400)
    (tmp_path / "notes.md").write_text("# not an article\n")
    # Invalid in the charset it declares (undeclared, it would be read as detected).
    (tmp_path / "broken.html").write_bytes(b'<html><meta charset="utf-8">\xff\xfe</html>')
    good = tmp_path / "council-vote.txt"
    inputs: list[str | Path] = [
        tmp_path / "missing.txt", str(tmp_path / "*.nothing"), tmp_path / "empty.txt",
        tmp_path / "blank.txt", tmp_path / "binary.txt", tmp_path / "latin.txt",
        tmp_path / "huge.txt", tmp_path / "notes.md", tmp_path / "broken.html", good,
    ]
    docs, errors = run(inputs, max_bytes=1000)
    assert [d.id for d in docs] == ["council-vote"]
    problems = {Path(e.path).name: e.problem for e in errors}
    assert len(errors) == len(problems) == len(inputs) - 1  # exactly one each
    assert problems["missing.txt"] == "no such file or directory"
    assert problems["*.nothing"] == "glob matched no files"
    assert problems["empty.txt"] == "empty file"
    assert problems["blank.txt"].startswith("empty file")
    assert problems["binary.txt"].startswith("binary file (NUL byte at byte offset 6)")
    assert problems["latin.txt"] == (
        "invalid UTF-8 at byte offset 3, and no other encoding reads it as text "
        "(binary or damaged?)"
    )
    assert problems["huge.txt"] == (
        "file is 2,000 bytes, over the limit of 1,000 bytes (--max-bytes)"
    )
    assert "unknown file type '.md'" in problems["notes.md"]
    assert problems["broken.html"].startswith("invalid UTF-8 at byte offset 28")
    for error in errors:
        assert str(error) == f"{error.path}: {error.problem}" and "\n" not in str(error)


def test_size_limit_in_megabytes(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("news " * 60_000)
    _, (error,) = run([tmp_path / "big.txt"], max_bytes=200_000)
    assert error.problem == "file is 0.3 MB, over the limit of 0.2 MB (--max-bytes)"


def test_folders_recurse_sorted_and_skip_unknown(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("b/zeta.txt", "alpha.txt", "b/beta.txt", ".git/hidden.txt"):
        (tmp_path / name).write_text(
            f"The {name} story says the town hall clock was repaired by volunteers on Monday.\n"
        )
    (tmp_path / "README.md").write_text("About this folder\n")
    (tmp_path / "data.parquet").write_bytes(b"PAR1\x00\x00")
    docs, errors = run([tmp_path])
    # Files we do not read are passed over, each said so (kind "skipped", not a failure).
    assert [(e.kind, Path(e.path).name) for e in errors] == [
        ("skipped", "README.md"), ("skipped", "data.parquet"),
    ]
    assert [d.id for d in docs] == ["alpha", "beta", "zeta"]
    # A glob reads the same files; a file named twice is read once.
    docs, errors = run([str(tmp_path / "**" / "*.txt"), tmp_path / "alpha.txt"])
    assert [d.id for d in docs] == ["alpha", "beta", "zeta"] and errors == []


def test_dates_to_iso() -> None:
    assert to_iso("2024-03-01") == "2024-03-01"
    assert to_iso("2024-03-01T10:20:30Z") == "2024-03-01T10:20:30+00:00"
    assert to_iso("March 1, 2024") == "2024-03-01"
    assert to_iso("not a date at all") is None
    assert to_iso("yesterday") is None  # relative dates would depend on when we ran


# -- real articles --------------------------------------------------------------------------


def test_shared_seed_articles(shared_dir: Path) -> None:
    seeds = shared_dir / "corpora" / "seeds"
    docs, errors = run([seeds])
    assert errors == []
    files = sorted(seeds.glob("*.txt"))
    assert [d.id for d in docs] == [f.stem for f in files]
    for doc, file in zip(docs, files, strict=True):
        assert doc.text == file.read_bytes().decode("utf-8-sig")
        assert doc.language == "en"
