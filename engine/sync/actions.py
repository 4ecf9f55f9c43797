"""What the engine does with one source record: one vocabulary for runs, plans and the audit.

A plan predicts an `Action` and a run reports one, from the same decision
(engine/sync/decision.py), so the two can be compared member for member. The values are the
strings the audit trail has always stored, so old audit rows read the same.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """The create / update / skip vocabulary of runs, plans and the audit trail."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ADOPT_UPDATE = "adopt+update"   # an existing target found by a match key, then updated
    RECREATE = "recreate"           # the old target is voided or gone; a new one is made
    REMOVE = "remove"               # the source record is gone: on_source_delete applied
    MERGE = "merge"                 # merged into another record: its link now leads there
    SKIP = "skip"                   # filtered out, or nothing to do under the policies
    ECHO = "echo"                   # a record we wrote ourselves, read back as a change
    FLAG = "flag"                   # the target refused the change; on_immutable_change: flag
    FAIL = "fail"


# Actions that wrote to the target system.
WRITE_ACTIONS = frozenset({Action.CREATE, Action.UPDATE, Action.ADOPT_UPDATE, Action.REMOVE,
                           Action.RECREATE, Action.MERGE})
FAILED_ACTIONS = frozenset({Action.FAIL, Action.FLAG})
