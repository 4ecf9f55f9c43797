"""Shared fixtures for the whole test suite."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from outside_reads import GUARD
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ml_connector.engine.store import MasterKey, Store

# --- Nothing outside the repository ----------------------------------------------------------
# A clone has nothing beside it: a test that opens a file outside the checkout, the Python
# installation, temporary folders or the system's own files fails (see outside_reads.py).

sys.addaudithook(GUARD.hook)


@pytest.fixture(autouse=True)
def nothing_read_outside_the_repository() -> Iterator[None]:
    GUARD.take()
    yield
    outside = sorted(set(GUARD.take()))
    if outside:
        pytest.fail("the test opened files outside the repository, which a fresh clone does "
                    f"not have: {', '.join(outside[:5])}", pytrace=False)


# --- State store -----------------------------------------------------------------------------
# `store` runs every test that uses it on SQLite, and again on PostgreSQL when
# ML_CONNECTOR_TEST_POSTGRES_URL is set. Each PostgreSQL test gets a schema of its own (made
# the connection's search_path), dropped afterwards, so tests never see each other's rows.

POSTGRES_ENV = "ML_CONNECTOR_TEST_POSTGRES_URL"


def _store_backends() -> list[object]:
    backends: list[object] = ["sqlite"]
    if os.environ.get(POSTGRES_ENV):
        backends.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return backends


def _admin_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections see only a fresh, private schema."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"set {POSTGRES_ENV} to run this test on PostgreSQL")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=_store_backends())
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database: a SQLite file under tmp_path, or a private PG schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'state.db'}"
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def master_key() -> MasterKey:
    """A fresh master key, so store tests never read or write a key file by accident."""
    return MasterKey.generate()


@pytest.fixture
def store(store_url: str, tmp_path: Path, master_key: MasterKey) -> Iterator[Store]:
    """An open, migrated, empty store; closed after the test."""
    opened = Store.open(store_url, root=tmp_path, master_key=master_key)
    try:
        yield opened
    finally:
        opened.close()
