"""Column types that behave the same on SQLite and PostgreSQL.

SQLite keeps datetimes as text without a zone, PostgreSQL as `timestamptz`; `UtcDateTime`
stores UTC on both and always hands back aware datetimes, so lease and cursor comparisons
mean the same thing on either database. `JsonText` keeps JSON as text with exact decimals
(see `jsonvalues`), which a `JSON` column would turn into floats.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Text
from sqlalchemy.types import TypeDecorator

from ml_connector.engine.store.jsonvalues import dumps, loads


def utcnow() -> datetime:
    """The current time, aware and in UTC: the only kind of datetime the store writes."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        # SQLite's DATETIME storage drops the zone, so hand it naive UTC explicitly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class JsonText(TypeDecorator[Any]):
    """JSON stored as text, keeping `Decimal`, `date` and `datetime` values exact."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else dumps(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else loads(value)
