"""Every value and key keeps its line and column; duplicate keys do not vanish silently."""

from __future__ import annotations

from ml_connector.engine.diagnostics import Location
from ml_connector.engine.loading.yaml_nodes import MISSING, parse_yaml, value_at

TEXT = """\
name: x
source:
  connection: ledger
triggers:
  - manual
  - poll: {every: 15m}
"""


def test_values_and_keys_are_located_one_based() -> None:
    doc = parse_yaml(TEXT, "p.yaml")
    assert doc.diagnostics == []
    assert doc.locate(("name",)) == Location("p.yaml", 1, 7)
    assert doc.locate_key(("source", "connection")) == Location("p.yaml", 3, 3)
    assert doc.locate(("source", "connection")) == Location("p.yaml", 3, 15)
    assert doc.locate(("triggers", 1, "poll", "every")) == Location("p.yaml", 6, 19)


def test_absent_paths_fall_back_to_the_nearest_parent() -> None:
    doc = parse_yaml(TEXT, "p.yaml")
    assert doc.locate(("source", "entity")) == doc.locate(("source",)) == Location("p.yaml", 3, 3)
    assert doc.locate(("nothing", 3)) == Location("p.yaml", 1, 1)


def test_values_are_the_ones_yaml_means() -> None:
    doc = parse_yaml(TEXT, "p.yaml")
    assert doc.value["triggers"] == ["manual", {"poll": {"every": "15m"}}]
    assert value_at(doc.value, ("triggers", 1, "poll", "every")) == "15m"
    assert value_at(doc.value, ("triggers", 5)) is MISSING


def test_duplicate_keys_are_reported_at_the_second_one() -> None:
    doc = parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\n", "d.yaml")
    assert [str(d) for d in doc.diagnostics] == [
        "d.yaml:4:3: duplicate key 'c' (first defined on line 3); "
        "only one value can be kept, remove the other"]


def test_anchors_and_merge_keys_are_not_duplicates() -> None:
    doc = parse_yaml("base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\nloop: &l [*l]\n", "m.yaml")
    assert doc.diagnostics == []
    assert doc.value["use"] == {"x": 1, "y": 2}


def test_syntax_error_is_located_with_what_yaml_said() -> None:
    doc = parse_yaml("a: [1, 2\nb: 3\n", "s.yaml")
    assert doc.value is None
    (problem,) = doc.diagnostics
    assert problem.location.file == "s.yaml" and problem.location.line == 2
    assert problem.message.startswith("YAML syntax error: expected ',' or ']'")


def test_empty_and_comment_only_files_are_empty() -> None:
    assert parse_yaml("", "e.yaml").empty
    assert parse_yaml("# just a comment\n", "e.yaml").empty
    assert not parse_yaml("a: 1\n", "e.yaml").empty
