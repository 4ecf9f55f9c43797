"""The shape every entity's rules share, and helpers for the checks they have in common."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.store import RealmState, StoredEntity

SYSTEM_FIELDS = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})
COMMON_FILTERS = frozenset({"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"})
NAME_FORBIDDEN = (":", "\t", "\n")


class EntityRules:
    """Default behaviour: a plain object without computed fields or side effects.

    `void_mode` is how QBO voids this entity: "void" (`?operation=void`), "include"
    (`?operation=update&include=void`) or None. `sticky` fields survive a full update that
    leaves them out (values QBO fixes at creation, such as a customer's currency).
    """

    entity: str = ""
    resource: str = ""
    name_list: bool = False
    void_mode: str | None = None
    creatable: bool = True
    filterable: frozenset[str] = COMMON_FILTERS
    sticky: frozenset[str] = frozenset()

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        """Validate a write and return the object to store (computed fields filled in)."""
        return data

    def after_save(self, ledger: Ledger, stored: StoredEntity,
                   previous: dict[str, Any] | None) -> None:
        """Side effects on other objects, once this one is stored."""

    def before_delete(self, ledger: Ledger, stored: StoredEntity) -> None:
        if self.name_list:
            raise errors.unsupported(f"Operation Delete is not supported for {self.entity}; "
                                     "make it inactive (Active=false) instead.")

    def after_delete(self, ledger: Ledger, stored: StoredEntity) -> None:
        """Side effects once this object is deleted."""

    def voided(self, ledger: Ledger, stored: StoredEntity) -> dict[str, Any]:
        """The object's content after a void; only entities with a `void_mode` have one."""
        raise errors.unsupported(f"Operation Void is not supported for {self.entity}.")

    def after_void(self, ledger: Ledger, stored: StoredEntity,
                   previous: dict[str, Any]) -> None:
        """Side effects once this object is voided."""

    def render(self, view: ReadView, stored: StoredEntity) -> dict[str, Any]:
        """The object as a read returns it (computed read-only fields included)."""
        return stored.copy_data()

    def peek(self, view: ReadView, stored: StoredEntity,
             fields: frozenset[str]) -> Mapping[str, Any]:
        """What `render` shows of `fields`, without copying: for filtering and sorting only,
        never handed out. Rules that compute fields in `render` add those of `fields` here.
        """
        return stored.data


class ReadView:
    """One request's view of a realm, memoising derived values (customer balances)."""

    def __init__(self, realm: RealmState):
        self.realm = realm
        self._balances: dict[str, Any] | None = None

    def customer_balances(self) -> dict[str, Any]:
        if self._balances is None:
            from ml_connector.connectors.quickbooks.emulator.rules.balances import (
                customer_balances,
            )
            self._balances = customer_balances(self.realm)
        return self._balances


def check_text(data: Mapping[str, Any], limits: Mapping[str, int],
               no_separators: Iterable[str] = ()) -> None:
    """Length limits (2050) and the name fields that must not hold `:`, tab or newline."""
    for name, limit in limits.items():
        value = data.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise errors.length_out_of_range(name, limit)
    for name in no_separators:
        value = data.get(name)
        if isinstance(value, str) and any(ch in value for ch in NAME_FORBIDDEN):
            raise errors.business_rule(f"{name} cannot contain a colon (:), tab or newline.",
                                       element=name)


def clean_ref(stored: StoredEntity, name_field: str = "DisplayName") -> dict[str, str]:
    """A reference `{"value", "name"}` to a stored object, as QBO echoes it back."""
    return {"value": stored.id, "name": str(stored.data.get(name_field, ""))}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
