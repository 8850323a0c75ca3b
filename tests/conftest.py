"""Shared fixtures: the shipped sample data loaded once into a temporary database."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import perfcore  # noqa: E402
from perfcore.ingest.sources import load_source  # noqa: E402


@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    con = perfcore.connect(path)
    load_source(con, ROOT / "data")
    con.close()
    return path


@pytest.fixture(scope="session")
def sample_db(sample_db_path):
    con = perfcore.connect(sample_db_path)
    yield con
    con.close()


@pytest.fixture
def db_copy(sample_db_path, tmp_path):
    """A private copy of the sample database file, for a test that writes."""
    import shutil
    path = tmp_path / "copy.duckdb"
    shutil.copy(sample_db_path, path)
    return path


@pytest.fixture
def con(db_copy):
    """A connection to a private copy of the sample database."""
    c = perfcore.connect(db_copy)
    yield c
    c.close()


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for every browser test of the session."""
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
