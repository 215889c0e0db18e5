from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SOURCETRACE_SHARED", ROOT.parent / "shared"))

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Spark's Python workers must run this interpreter, where sourcetrace is installed.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}); this test reads shared datasets")
    return SHARED


@pytest.fixture(scope="session")
def nlp():
    from sourcetrace.nlp.pipeline import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="module")
def spark():
    """A ``local[2]`` Spark session for a test module (stopped after it: another module may
    start a session of its own, such as tests/test_spark.py's standalone cluster)."""
    pytest.importorskip("pyspark")
    from sourcetrace.engines.spark import get_session

    session = get_session("local[2]", app="sourcetrace-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus analysed once by the local engine (no exports): its ``--out``."""
    from sourcetrace.config import Settings
    from sourcetrace.engines.local import run_analysis

    out = tmp_path_factory.mktemp("demo") / "local"
    run_analysis(
        [ROOT / "examples" / "corpus"],
        Settings(out=out, kb_files=[ROOT / "examples" / "kb.yaml"], formats=(), quiet=True),
    )
    return out
