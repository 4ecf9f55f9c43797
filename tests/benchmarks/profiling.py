"""Reading a merged CPU profile of the sync process: which parts of the stack use the CPU.

Every function's own time (`tottime`) is charged to an area named after where its code
lives (the engine's folders, the connectors, or the library it belongs to), so the answer
reads "the store's SQL layer takes 30%", not a list of 2,000 functions.
"""

from __future__ import annotations

import pstats
from collections import Counter
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
STDLIB = "stdlib: contextlib, typing, abc"
# (fragment of the file path or function name, area); the first match wins.
AREAS = [
    (f"{ROOT}/engine/sync/", "engine: sync"), (f"{ROOT}/engine/store/", "engine: store"),
    (f"{ROOT}/engine/mapping/", "engine: mapping"), (f"{ROOT}/engine/http/", "engine: http"),
    (f"{ROOT}/engine/", "engine: other"), (f"{ROOT}/connectors/stripe/", "connector: stripe"),
    (f"{ROOT}/connectors/quickbooks/", "connector: quickbooks"), ("sqlalchemy", "sqlalchemy"),
    ("sqlite3", "sqlite3 (C)"), ("httpx", "httpx"), ("httpcore", "httpcore"),
    ("h11", "h11"), ("jinja2", "jinja2"), ("jsonschema", "jsonschema"),
    ("tenacity", "tenacity"), ("json", "json"), ("_socket", "sockets (waiting for the APIs)"),
    ("ssl", "sockets (waiting for the APIs)"), ("select", "sockets (waiting for the APIs)"),
    ("urllib", "stdlib: urllib, email, ipaddress"), ("email/", "stdlib: urllib, email, ipaddress"),
    ("ipaddress", "stdlib: urllib, email, ipaddress"), ("_thread", "threads and locks"),
    ("threading", "threads and locks"), ("concurrent", "threads and locks"),
    ("copy.py", "copy"), ("decimal", "decimal"), ("hashlib", "hashlib"), ("re/", "re"),
    ("re.Pattern", "re"), ("datetime", "datetime"), ("uuid", "uuid"), ("logging", "logging"),
    ("contextlib", STDLIB), ("typing", STDLIB), ("abc", STDLIB),
]
# Inclusive time of a part of the engine: everything done on its behalf, libraries included.
STEPS = [
    ("HTTP calls to the APIs (engine/http, httpx, waiting)", f"{ROOT}/engine/http/"),
    ("state store: links, intents, audit (engine/store, SQLAlchemy, SQLite)",
     f"{ROOT}/engine/store/"),
    ("mapping: rendering payloads (engine/mapping, Jinja)", f"{ROOT}/engine/mapping/"),
    ("audit summaries and redaction", f"{ROOT}/engine/sync/request_summary.py"),
]


def area_of(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for fragment, area in AREAS:
        if fragment in where:
            return area
    return "python builtins" if filename == "~" else "other"


def areas(stats: pstats.Stats) -> tuple[Counter[str], float]:
    """CPU seconds by area, and the total."""
    spent: Counter[str] = Counter()
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        spent[area_of(filename, function)] += row[2]
    return spent, sum(spent.values())


def inclusive(stats: pstats.Stats, fragment: str) -> float:
    """Seconds spent inside code whose path contains `fragment`, entered from our own code.

    Calls from libraries are left out: they are callbacks made while the library works for
    us (tenacity running an attempt, SQLAlchemy decoding a column), already counted.
    """
    total = 0.0
    for (filename, _line, _function), row in stats.stats.items():  # type: ignore[attr-defined]
        if fragment not in filename:
            continue
        for (caller, _l, _f), timing in row[4].items():
            if fragment not in caller and caller.startswith(ROOT) and "-packages" not in caller:
                total += timing[3]
    return total


def hot_functions(stats: pstats.Stats, limit: int) -> list[tuple[str, float, int]]:
    rows = []
    for (filename, line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        short = "/".join(Path(filename).parts[-2:]) if filename != "~" else ""
        rows.append((f"{short}:{line} {function}".strip(), row[2], row[1]))
    return sorted(rows, key=lambda r: -r[1])[:limit]


def summary(path: Path, records: int, limit: int = 12) -> str:
    stats = pstats.Stats(str(path))
    spent, total = areas(stats)
    lines = [f"Profile of the backfill of {records:,} records with one worker (cProfile, wall "
             f"clock, so its own overhead inflates it): {total:,.1f} s, "
             f"{total / max(1, records) * 1000:.1f} ms per record. Waiting for the APIs "
             "shows as sockets; everything else is the sync process's own CPU.", "",
             "| area | share |", "|---|---|"]
    lines += [f"| {area} | {seconds / total:.0%} |" for area, seconds in spent.most_common(14)]
    lines += ["", "| part of the engine (inclusive) | share |", "|---|---|"]
    lines += [f"| {label} | {inclusive(stats, fragment) / total:.0%} |"
              for label, fragment in STEPS]
    lines += ["", "| function (own time) | share | calls |", "|---|---|---|"]
    lines += [f"| `{name}` | {seconds / total:.1%} | {calls:,} |"
              for name, seconds, calls in hot_functions(stats, limit)]
    return "\n".join(lines)
