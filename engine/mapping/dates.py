"""Date filters between plain calendar dates ('YYYY-MM-DD') and Unix seconds.

Plain dates carry no time zone, so the zone is an explicit argument (UTC unless the mapping
says otherwise) rather than the machine's local zone, which would differ between hosts.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ml_connector.engine.mapping.conversions import (
    FilterError,
    describe_type,
    fail_if_undefined,
)


def _zone(tz: object, filter_name: str) -> tzinfo:
    """ZoneInfo for an IANA name such as 'Europe/Paris'; 'UTC' needs no tz database."""
    fail_if_undefined(tz)
    if not isinstance(tz, str) or not tz.strip():
        raise FilterError(f"{filter_name}: time zone must be a name such as 'UTC', "
                          f"got {describe_type(tz)}")
    if tz.strip().upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise FilterError(f"{filter_name}: unknown time zone {tz!r}") from None


def _parse_moment(value: object) -> date | datetime:
    """A date or date-time from a date object or ISO 8601 text."""
    fail_if_undefined(value)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise FilterError(f"unix_timestamp needs a date such as '2024-01-31', "
                          f"got {describe_type(value)}")
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise FilterError(f"unix_timestamp: {value!r} is not an ISO date") from None


def unix_timestamp(value: object, tz: object = "UTC") -> int:
    """Unix seconds of a plain date at 00:00 in `tz`, or of an ISO date-time.

    A date-time with its own UTC offset keeps it; `tz` only applies to dates and to
    date-times written without an offset.
    """
    moment = _parse_moment(value)
    zone = _zone(tz, "unix_timestamp")
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0, 0))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return math.floor(moment.timestamp())


def date_from_unix(value: object, tz: object = "UTC") -> str:
    """'YYYY-MM-DD' of a Unix time in `tz`: the calendar day an event happened on."""
    fail_if_undefined(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise FilterError(f"date_from_unix needs Unix seconds, got {describe_type(value)}")
    try:
        seconds = math.floor(Decimal(value.strip() if isinstance(value, str) else value))
    except (ArithmeticError, ValueError):
        message = "date_from_unix needs Unix seconds, got a value that is not a number"
        raise FilterError(message) from None
    zone = _zone(tz, "date_from_unix")
    try:
        return datetime.fromtimestamp(seconds, tz=zone).date().isoformat()
    except (OverflowError, OSError, ValueError):
        raise FilterError(f"date_from_unix: {seconds} is outside the supported dates") from None
