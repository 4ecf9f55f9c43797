""""Did you mean ...?" hints, so a typo costs a glance rather than a search."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word`, or None when nothing is close enough to suggest."""
    options = sorted(str(c) for c in choices)
    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not found:
        lowered = {o.lower(): o for o in options}
        found = [lowered[word.lower()]] if word.lower() in lowered else []
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when a choice is close to `word`, else an empty string."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match else ""


def one_of(choices: Iterable[str]) -> str:
    """The allowed values, sorted and comma separated, or `none` when there are none."""
    names = sorted(str(c) for c in choices)
    return ", ".join(names) if names else "none"
