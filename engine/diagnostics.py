"""Located problems in user files, reported all at once as `file:line:col: message`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a user file; line and column are 1-based, as editors show them."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem, with where it is and what was expected instead."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.file, loc.line, loc.col, self.message)

    def as_dict(self) -> dict[str, str | int]:
        """The diagnostic for machine-readable output (`--json`)."""
        loc = self.location
        return {"file": loc.file, "line": loc.line, "column": loc.col, "message": self.message}
