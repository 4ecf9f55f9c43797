"""Poll intervals as people write them: `30s`, `15m`, `2h`, `1d`, or a bare number of seconds."""

from __future__ import annotations

import re

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"^\s*([0-9]+)\s*([smhd])\s*$")


def parse_duration(value: int | float | str) -> int:
    """Seconds in `value`; raises ValueError naming the accepted forms when it is not one.

    The schema already rejects malformed durations with a located message; this is the one
    place that turns the accepted text into a number, so the runner never parses it again.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema counts 60.0 as an integer, so the schema let it in
    if isinstance(value, int):
        seconds = value
    else:
        match = DURATION.match(str(value))
        if match is None:
            raise ValueError(
                f"not a duration: {value!r}; write 30s, 15m, 2h, 1d or a number of seconds"
            )
        seconds = int(match.group(1)) * UNIT_SECONDS[match.group(2)]
    if seconds < 1:
        raise ValueError(f"a duration must be at least one second, got {value!r}")
    return seconds
