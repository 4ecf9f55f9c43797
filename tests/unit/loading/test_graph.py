"""Run order over depends_on: dependencies first, ties by name, cycles found and named."""

from __future__ import annotations

from ml_connector.engine.loading.graph import closure, find_cycles, topological_order


def test_dependencies_come_first_and_ties_go_by_name() -> None:
    graph = {
        "refunds": ["payments"],
        "payments": ["invoices"],
        "invoices": ["customers"],
        "customers": [],
        "disputes": ["payments"],
        "accounts": [],
    }
    assert topological_order(graph) == [
        "accounts", "customers", "invoices", "payments", "disputes", "refunds"]


def test_order_does_not_depend_on_insertion_order() -> None:
    graph = {"c": [], "b": ["c"], "a": []}
    reordered = {"a": [], "b": ["c"], "c": []}
    assert topological_order(graph) == topological_order(reordered) == ["a", "c", "b"]


def test_names_on_a_cycle_and_their_dependents_are_left_out() -> None:
    graph = {"a": ["b"], "b": ["a"], "c": ["a"], "d": []}
    assert topological_order(graph) == ["d"]


def test_unknown_dependencies_do_not_block_the_order() -> None:
    assert topological_order({"a": ["missing"]}) == ["a"]


def test_cycles_start_at_their_smallest_name() -> None:
    graph = {"gamma": ["alpha"], "alpha": ["beta"], "beta": ["gamma"], "solo": ["solo"], "x": []}
    assert find_cycles(graph) == [["alpha", "beta", "gamma", "alpha"], ["solo", "solo"]]


def test_the_shortest_way_round_is_named() -> None:
    graph = {"a": ["b", "c"], "b": ["c"], "c": ["a"]}
    assert find_cycles(graph) == [["a", "c", "a"]]


def test_acyclic_graph_has_no_cycles() -> None:
    assert find_cycles({"a": ["b"], "b": [], "c": ["a", "b"]}) == []


def test_closure_follows_indirect_dependencies() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": [], "d": ["a"]}
    assert closure(graph, "a") == {"a", "b", "c"}
    assert closure(graph, "c") == {"c"}
