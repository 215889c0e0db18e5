"""Input that used to be dropped without a word: empty folders, PDF and Word files, unknown
file types, --field names no record has, text that is not UTF-8, texts too long for spaCy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.model import Document
from test_ingest import run  # the ingest tests' reader: documents and errors of some inputs

STORY = (
    "Harbour bridge opens\n\nThe harbour bridge in Lindmoor opened on Tuesday after two years "
    "of building work, the city council said. Engineers had tested the deck with forty loaded "
    "trucks.\n"
)


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- empty folders ---------------------------------------------------------------------------


def test_an_empty_folder_is_an_error_not_zero_problems(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / ".git").mkdir(parents=True)
    (empty / ".git" / "HEAD").write_text("ref: main\n")  # hidden files are never articles
    out = tmp_path / "out"
    code, _, stderr = cli("analyze", str(empty), "--out", str(out), "--no-report", "-q")
    assert code == 1
    assert f"{empty}: empty folder: only hidden or metadata files" in stderr
    assert "no documents found in the inputs" in stderr
    con = duckdb.connect(str(out / "sourcetrace.duckdb"), read_only=True)
    assert con.execute("SELECT path, kind FROM errors").fetchall() == [(str(empty), "error")]


def test_a_folder_without_files_is_reported(tmp_path: Path) -> None:
    docs, (error,) = run([tmp_path])
    assert docs == [] and error.kind == "error"
    assert str(error) == f"{tmp_path}: empty folder: no files, no articles to read"


# -- PDF and Word ----------------------------------------------------------------------------


def make_pdf(
    path: Path, lines: list[str], title: str | None = None, created: str | None = None,
    password: str | None = None,
) -> Path:
    """A one-page PDF that shows ``lines`` in Helvetica (pypdf writes no text itself: the
    page's content stream is written here)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    })
    page[NameObject("/Resources")] = DictionaryObject({
        NameObject("/Font"): DictionaryObject({NameObject("/F1"): font}),
    })
    shown = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    ops = ["BT", "/F1 11 Tf", "14 TL", "72 720 Td", *(f"({s}) Tj T*" for s in shown), "ET"]
    content = DecodedStreamObject()
    content.set_data("\n".join(ops).encode("latin-1"))
    page.replace_contents(content)
    info = {"/Title": title} if title else {}
    if created:
        info["/CreationDate"] = created
    if info:
        writer.add_metadata(info)
    if password:
        writer.encrypt(user_password=password, algorithm="RC4-128")
    writer.write(path)
    return path


PDF_LINES = [
    "Harbour bridge opens",
    "The harbour bridge in Lindmoor opened on Tuesday after two years of building work,",
    "the city council said. Engineers had tested the deck with forty loaded trucks, and",
    "the first buses crossed at noon.",
    "Traffic on the old ferry road is expected to ease by the summer, officials said.",
]


def test_pdf_and_docx_in_a_folder_are_read(tmp_path: Path) -> None:
    import docx

    make_pdf(tmp_path / "bridge.pdf", PDF_LINES, title="Lindmoor bridge opens",
             created="D:20240305120000Z")
    word = docx.Document()
    word.add_paragraph("Farmers count losses")
    word.add_paragraph("Farmers in the valley lost about 200 tonnes of apples to the frost, "
                       "according to the regional farming union.")
    word.add_paragraph("")  # spacing, not text
    word.add_paragraph("The union asked the government for help.")
    word.core_properties.title = "Valley farmers count frost losses"
    word.core_properties.created = datetime(2024, 4, 2, 9, 30, tzinfo=UTC)
    word.save(str(tmp_path / "frost.docx"))

    docs, errors = run([tmp_path])
    assert errors == []
    pdf, word_doc = sorted(docs, key=lambda d: d.id)
    assert (pdf.id, pdf.title, pdf.published) == (
        "bridge", "Lindmoor bridge opens", "2024-03-05T12:00:00+00:00"
    )
    # The lines of one paragraph are one paragraph again: no sentence ends at a line break.
    assert pdf.text == (
        "Harbour bridge opens\n\n"
        "The harbour bridge in Lindmoor opened on Tuesday after two years of building work, "
        "the city council said. Engineers had tested the deck with forty loaded trucks, and "
        "the first buses crossed at noon.\n\n"
        "Traffic on the old ferry road is expected to ease by the summer, officials said."
    )
    assert (word_doc.id, word_doc.title, word_doc.published) == (
        "frost", "Valley farmers count frost losses", "2024-04-02T09:30:00+00:00"
    )
    assert word_doc.text == (
        "Farmers count losses\n\nFarmers in the valley lost about 200 tonnes of apples to the "
        "frost, according to the regional farming union.\n\nThe union asked the government "
        "for help."
    )


def test_pdf_without_metadata_takes_its_headline(tmp_path: Path) -> None:
    (doc,), errors = run([make_pdf(tmp_path / "plain.pdf", PDF_LINES)])
    assert errors == [] and doc.title == "Harbour bridge opens" and doc.published is None


def test_bad_pdf_and_docx_are_one_line_each_and_the_rest_is_read(tmp_path: Path) -> None:
    make_pdf(tmp_path / "locked.pdf", PDF_LINES, password="secret")
    (tmp_path / "torn.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog")
    (tmp_path / "fake.pdf").write_bytes(b"just some words, not a PDF at all\n")
    (tmp_path / "fake.docx").write_bytes(b"just some words, not a Word file\n")
    (tmp_path / "good.txt").write_text(STORY)
    docs, errors = run([tmp_path])
    assert [d.id for d in docs] == ["good"]
    problems = {Path(e.path).name: e.problem for e in errors}
    assert set(problems) == {"locked.pdf", "torn.pdf", "fake.pdf", "fake.docx"}
    assert problems["locked.pdf"].startswith("encrypted PDF")
    assert problems["fake.pdf"] == "not a PDF (no %PDF- header)"
    assert problems["fake.docx"].startswith("not a .docx file")
    assert problems["torn.pdf"]  # whatever pypdf says, in one line
    assert all("\n" not in str(e) and e.kind == "error" for e in errors)


def test_reflow_keeps_short_lines_and_joins_hyphenated_words() -> None:
    from sourcetrace.ingest.pdf import reflow

    page = (
        "A headline here\n"
        "The council voted on Monday to close the old market hall for repairs that will\n"
        "last until the end of the year, a spokes-\n"
        "woman said.\n"
        "\n"
        "Second paragraph starts here and is short."
    )
    assert reflow(page) == (
        "A headline here\n\nThe council voted on Monday to close the old market hall for "
        "repairs that will last until the end of the year, a spokeswoman said.\n\n"
        "Second paragraph starts here and is short."
    )


# -- unknown file types -----------------------------------------------------------------------


def test_unknown_files_in_a_folder_are_listed_not_dropped(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bridge.txt").write_text(STORY)
    (corpus / "notes.odt").write_bytes(b"PK\x03\x04 not read")
    (corpus / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    docs, errors = run([corpus])
    assert [d.id for d in docs] == ["bridge"]
    assert [(Path(e.path).name, e.kind) for e in errors] == [
        ("notes.odt", "skipped"), ("scan.png", "skipped"),
    ]
    assert errors[0].problem.startswith("unknown file type '.odt' (sourcetrace reads ")
    assert ".pdf" in errors[0].problem and ".docx" in errors[0].problem
    # Named on the command line, the same file is an error.
    _, (named,) = run([corpus / "notes.odt"])
    assert named.kind == "error"


def test_cli_lists_files_not_read_and_the_store_keeps_them(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bridge.txt").write_text(STORY)
    (corpus / "notes.odt").write_bytes(b"PK\x03\x04 not read")
    (corpus / "cafe.txt").write_bytes(
        "Caf\u00e9 reopens\n\nThe caf\u00e9 \u2013 \u201cthe best in town\u201d, the owner "
        "said \u2013 reopened on Friday after the flood.\n".encode("cp1252")
    )
    out = tmp_path / "out"
    code, stdout, stderr = cli("analyze", str(corpus), "--out", str(out), "--no-report",
                               "--json")
    summary = json.loads(stdout)
    assert code == 0, stderr  # a file not read and a guessed encoding are no failure
    assert summary["analysed"] == 2 and summary["errors"] == []
    assert summary["not_read"] == [f"{corpus / 'notes.odt'}: unknown file type '.odt' "
                                   + summary["not_read"][0].split("'.odt' ", 1)[1]]
    assert summary["warnings"] == [
        f"{corpus / 'cafe.txt'}: not UTF-8: read as cp1252 (detected; check accented letters "
        "and quotes, or save the file as UTF-8)"
    ]
    assert f"not read {corpus / 'notes.odt'}" in " ".join(stderr.split())
    con = duckdb.connect(str(out / "sourcetrace.duckdb"), read_only=True)
    rows = con.execute("SELECT path, doc_id, kind FROM errors ORDER BY path").fetchall()
    assert rows == [(str(corpus / "cafe.txt"), "cafe", "warning"),
                    (str(corpus / "notes.odt"), None, "skipped")]
    (text,) = con.execute("SELECT text FROM documents WHERE id = 'cafe'").fetchone()
    assert "caf\u00e9 \u2013 \u201cthe best in town\u201d" in text


# -- --field --------------------------------------------------------------------------------


def test_a_field_no_record_has_is_reported(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "body": STORY, "headline": "Bridge opens"},
        {"id": "b", "body": STORY.replace("Tuesday", "Wednesday")},
    ]
    path = tmp_path / "wire.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    docs, errors = run([path], field_map={"text": "body", "title": "heading"})
    assert [d.id for d in docs] == ["a", "b"]  # the records are still read
    (error,) = errors
    assert error.kind == "error" and error.path == str(path)
    assert error.problem == (
        "--field title=heading: no record has a field 'heading' "
        "(fields found: body, headline, id)"
    )
    docs, errors = run([path], field_map={"text": "body", "title": "headline"})
    assert errors == [] and docs[0].title == "Bridge opens"


def test_field_with_a_name_of_ours_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "wire.jsonl").write_text(json.dumps({"id": "a", "body": STORY}) + "\n")
    code, _, stderr = cli("analyze", str(tmp_path), "--field", "txt=body",
                          "--out", str(tmp_path / "out"))
    message = " ".join(stderr.split())  # however the terminal wraps it
    assert code == 2
    assert "--field txt=body: unknown field 'txt'" in message
    assert "id, text, title, outlet, url, published" in message


# -- encodings ------------------------------------------------------------------------------

CAFE = (
    "Caf\u00e9 owners protest\n\nThe caf\u00e9 \u2013 \u201cquotes\u201d and all \u2013 closed.\n"
)


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_a_windows_1252_or_latin1_file_is_read_and_the_guess_recorded(
    tmp_path: Path, encoding: str
) -> None:
    text = CAFE if encoding == "cp1252" else CAFE.replace("\u2013", "-").replace(
        "\u201c", '"').replace("\u201d", '"')
    (tmp_path / "cafe.txt").write_bytes(text.encode(encoding))
    (doc,), (warning,) = run([tmp_path / "cafe.txt"])
    assert doc.text == text and doc.title == "Caf\u00e9 owners protest"
    assert doc.extra["encoding"] == "cp1252" and doc.extra["encoding_from"] == "detected"
    assert (warning.kind, warning.doc_id) == ("warning", "cafe")
    assert warning.problem.startswith("not UTF-8: read as cp1252 (detected")


def test_a_metadata_sheet_saved_by_excel_in_windows_1252_is_read(tmp_path: Path) -> None:
    (tmp_path / "bridge.txt").write_text(STORY)
    (tmp_path / "metadata.csv").write_bytes(
        "id,outlet\nbridge,Le Caf\u00e9 \u2013 Lindmoor\u2019s Times\n".encode("cp1252")
    )
    (doc,), (warning,) = run([tmp_path])
    assert doc.outlet == "Le Caf\u00e9 \u2013 Lindmoor\u2019s Times"
    assert warning.kind == "warning" and warning.path == str(tmp_path / "metadata.csv")
    assert warning.problem.startswith("metadata file: not UTF-8: read as cp1252")


def test_utf16_with_a_byte_order_mark_is_read_without_a_warning(tmp_path: Path) -> None:
    (tmp_path / "cafe.txt").write_bytes(CAFE.encode("utf-16"))  # BOM first
    (doc,), errors = run([tmp_path / "cafe.txt"])
    assert errors == [] and doc.text == CAFE and doc.extra["encoding"] == "utf-16"


def test_html_without_a_charset_is_read_in_the_detected_encoding(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Caf\u00e9 owners protest</title></head><body><article>"
        f"<p>{CAFE.splitlines()[2]} The owners of the caf\u00e9 said the new rules would "
        "cost them their summer trade, and the council promised to listen.</p>"
        "</article></body></html>"
    )
    (tmp_path / "cafe.html").write_bytes(page.encode("cp1252"))
    (doc,), (warning,) = run([tmp_path / "cafe.html"])
    assert "The caf\u00e9 \u2013 \u201cquotes\u201d and all \u2013 closed." in doc.text
    assert warning.kind == "warning" and doc.extra["encoding"] == "cp1252"


def test_binary_garbage_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "noise.txt").write_bytes(bytes(range(128, 256)) * 8)
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    docs, errors = run([tmp_path / "noise.txt", tmp_path / "image.txt"])
    assert docs == []
    assert [e.problem for e in errors] == [
        "invalid UTF-8 at byte offset 0, and no other encoding reads it as text "
        "(binary or damaged?)",
        "binary file (NUL byte at byte offset 8), not text",
    ]


# -- long texts -----------------------------------------------------------------------------

SENTENCES = (
    "The mayor of Springfield, John Carter, said on Monday that the new bridge will open in "
    "May. \"We are proud of it,\" he told reporters in Boston. According to the ministry, "
    "costs rose by 12 percent last year. "
)


def test_split_text_cuts_at_sentence_ends_and_joins_up() -> None:
    from sourcetrace.nlp.pipeline import split_text

    text = SENTENCES * 30
    pieces = split_text(text, 1000)
    assert "".join(pieces) == text and len(pieces) > 5
    assert all(len(p) <= 1000 for p in pieces)
    assert all(p.endswith(". ") for p in pieces[:-1])
    paragraphs = "First paragraph here.\n\n" + "x" * 600 + "\n\n" + "y" * 200
    assert split_text(paragraphs, 700) == [  # the last paragraph break in reach
        "First paragraph here.\n\n" + "x" * 600 + "\n\n", "y" * 200,
    ]
    assert "".join(split_text("y" * 2500, 1000)) == "y" * 2500  # no break at all: hard cuts


def test_a_text_longer_than_spacy_takes_is_analysed_in_pieces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sourcetrace.config import DEFAULT_MODEL
    from sourcetrace.nlp.pipeline import analyze_safely, load_pipeline

    nlp = load_pipeline(DEFAULT_MODEL)  # the very pipeline analyze_safely uses (cached)
    text = SENTENCES * 24  # one line of about 5,000 characters, no paragraph break
    whole, failed = analyze_safely([Document(id="long", text=text)], DEFAULT_MODEL)
    assert failed == []
    monkeypatch.setattr(nlp, "max_length", 1500)  # spaCy would raise E088 above this
    pieces, failed = analyze_safely([Document(id="long", text=text),
                                     Document(id="short", text=SENTENCES)], DEFAULT_MODEL)
    assert failed == [], failed
    assert [d.id for d, _ in pieces] == ["long", "short"]  # in order
    (_, rows), (_, short) = pieces
    (_, expected), = whole
    assert rows["sentences"] == expected["sentences"] and len(rows["sentences"]) == 72
    assert rows["mentions"] == expected["mentions"]
    assert rows["attributions"] == expected["attributions"]
    for row in rows["sentences"] + rows["mentions"]:
        assert text[row["start"]:row["end"]] == row["text"]
    assert short["sentences"]
