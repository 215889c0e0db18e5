"""The core installs and runs without its extras: ``[spark]`` (pyspark, pandas) for
``--engine spark`` and ``[web]`` (fastapi, uvicorn) for ``serve``.

Each test runs a fresh interpreter in which those modules cannot be imported (``None`` in
``sys.modules`` makes ``import`` fail as if they were not installed), since this one may
have imported them already.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sourcetrace

SRC = Path(sourcetrace.__file__).resolve().parents[1]  # the sourcetrace under test
EXTRAS = ("pyspark", "pandas", "fastapi", "uvicorn")
BLOCK = f"import sys\nfor name in {EXTRAS!r}:\n    sys.modules[name] = None\n"


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    env["COLUMNS"] = "40"  # a narrow terminal must not wrap the one-line errors
    return subprocess.run(
        [sys.executable, "-c", BLOCK + code], capture_output=True, text=True, env=env,
        timeout=300,
    )


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return _python(
        f"from sourcetrace.cli import main\nsys.argv = ['sourcetrace', *{args!r}]\nmain()"
    )


def test_core_imports_and_help_without_extras() -> None:
    # Every extractor and corpus step must import: their loaders skip absent modules quietly.
    done = _python(
        "import sourcetrace.cli, sourcetrace.engines.local, sourcetrace.outputs.export\n"
        "import sourcetrace.outputs.report\n"
        "from sourcetrace.engines.steps import CORPUS_MODULES, load_corpus_steps\n"
        "from sourcetrace.nlp.pipeline import EXTRACT_MODULES, _import_extractors\n"
        "_import_extractors()\n"
        "load_corpus_steps()\n"
        "assert all(name in sys.modules for name in EXTRACT_MODULES + CORPUS_MODULES)\n"
        f"assert all(sys.modules[name] is None for name in {EXTRAS!r})\n"
        "from sourcetrace.cli import main\n"
        "sys.argv = ['sourcetrace', '--help']\n"
        "main()\n"
    )
    assert done.returncode == 0, done.stderr
    assert "analyze" in done.stdout and "serve" in done.stdout


def _one_line_error(done: subprocess.CompletedProcess[str], extra: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert f"pip install 'sourcetrace[{extra}]'" in line
    return line


def test_serve_without_fastapi_names_the_web_extra(tmp_path: Path) -> None:
    line = _one_line_error(_cli("serve", str(tmp_path)), "web")
    assert "fastapi" in line


def test_spark_engine_without_pyspark_names_the_spark_extra(tmp_path: Path) -> None:
    done = _cli("analyze", str(tmp_path), "--engine", "spark", "--out", str(tmp_path / "out"))
    line = _one_line_error(done, "spark")
    assert "pyspark" in line
    assert not (tmp_path / "out").exists()
