"""Filters contributed by installed packages (entry-point group `ml_connector.filters`)."""

from __future__ import annotations

import importlib.metadata
import logging

import pytest

from ml_connector.engine.mapping import environment
from ml_connector.engine.mapping.money import minor_units

GROUP = environment.FILTER_ENTRY_POINT_GROUP


def _installed(monkeypatch: pytest.MonkeyPatch, *entries: tuple[str, str]) -> None:
    points = importlib.metadata.EntryPoints(
        importlib.metadata.EntryPoint(name, value, GROUP) for name, value in entries)
    monkeypatch.setattr(environment.importlib.metadata, "entry_points",
                        lambda group: points if group == GROUP else ())


def test_a_contributed_filter_is_usable_and_a_broken_one_is_left_out(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    _installed(monkeypatch, ("negated", "operator:neg"),
               ("broken", "ml_connector.no_such_module:thing"))
    with caplog.at_level(logging.WARNING, logger="ml_connector.mapping"):
        env = environment.create_environment()
    assert env.from_string("{{ 5 | negated }}").render() == "-5"
    assert "broken" not in env.filters
    assert "filter 'broken' could not be loaded" in caplog.text


def test_a_contributed_filter_cannot_replace_a_product_filter(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, ("minor_units", "operator:neg"))
    assert environment.create_environment().filters["minor_units"] is minor_units


def test_the_quickbooks_connector_contributes_its_invoice_lines_filter() -> None:
    assert "qbo_invoice_lines" in environment.default_environment().filters
