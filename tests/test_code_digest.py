"""Stored results are keyed on the code and data that made them, not the version number
alone: a changed file of the analysis changes the digest, other files do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcetrace import code_digest as cd


@pytest.fixture()
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "extract" / "data").mkdir(parents=True)
    (tmp_path / "extract" / "rules.py").write_text("CUES = ['said']\n")
    (tmp_path / "extract" / "data" / "weights.json").write_text("[0.5]")
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "report.py").write_text("TITLE = 'Report'\n")
    (tmp_path / "config.py").write_text("LIMIT = 3\n")
    monkeypatch.setattr(cd, "PACKAGE", tmp_path)
    cd.code_digest.cache_clear()
    yield tmp_path
    cd.code_digest.cache_clear()


def _digest(parts: tuple[str, ...]) -> str:
    cd.code_digest.cache_clear()
    return cd.code_digest(parts)


def test_a_changed_source_or_data_file_changes_the_digest(package: Path) -> None:
    parts = ("extract", "config.py")
    before = _digest(parts)
    assert _digest(parts) == before  # a function of the files
    (package / "extract" / "rules.py").write_text("CUES = ['said', 'told']\n")
    after_source = _digest(parts)
    assert after_source != before
    (package / "extract" / "data" / "weights.json").write_text("[0.6]")
    assert _digest(parts) != after_source
    (package / "config.py").write_text("LIMIT = 4\n")
    assert _digest(parts) not in (before, after_source)


def test_files_outside_the_parts_and_compiled_caches_do_not_count(package: Path) -> None:
    parts = ("extract", "config.py")
    before = _digest(parts)
    (package / "outputs" / "report.py").write_text("TITLE = 'Another report'\n")
    (package / "extract" / "__pycache__").mkdir()
    (package / "extract" / "__pycache__" / "rules.cpython-311.pyc").write_bytes(b"\x00\x01")
    assert _digest(parts) == before


def test_a_renamed_file_changes_the_digest(package: Path) -> None:
    parts = ("extract",)
    before = _digest(parts)
    (package / "extract" / "rules.py").rename(package / "extract" / "cues.py")
    assert _digest(parts) != before


def test_the_real_package_digests_cover_the_analysis() -> None:
    cd.code_digest.cache_clear()
    assert {"nlp", "extract"} <= set(cd.PER_DOCUMENT) <= set(cd.CORPUS)
    assert "outputs" not in cd.CORPUS
    for parts in (cd.PER_DOCUMENT, cd.CORPUS):
        for part in parts:
            assert (cd.PACKAGE / part).exists(), part
    assert cd.code_digest(cd.PER_DOCUMENT) != cd.code_digest(cd.CORPUS)


def test_the_memo_salt_follows_the_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from sourcetrace.config import Settings
    from sourcetrace.engines import memo
    from sourcetrace.engines.steps import load_corpus_steps

    step = dict(load_corpus_steps())["provenance"]
    settings = Settings(out=tmp_path, quiet=True)
    monkeypatch.setattr(memo, "code_digest", lambda parts: "a" * 32)
    first = memo.step_salt(step, settings, {})
    assert memo.step_salt(step, settings, {}) == first
    monkeypatch.setattr(memo, "code_digest", lambda parts: "b" * 32)
    assert memo.step_salt(step, settings, {}) != first
