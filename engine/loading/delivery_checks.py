"""Load-time checks of a pipeline's delivery params (`delivery`, `pay_link_field`).

A typo there would otherwise be found only when the first invoice went out unsent, or
every record failed; here it is an error at the param's line, as for any other field. The
field name itself is the source plugin's to judge (`pay_link_field_problem`), since only it
knows which fields its records have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_connector.engine.loading.pipeline_checks import Scope, Side
from ml_connector.engine.loading.yaml_nodes import YamlDocument
from ml_connector.engine.sync.delivery import DELIVERY, FIELD, param_problems, write_back_field_of


def check_delivery(doc: YamlDocument, params: Mapping[str, Any], source: Side | None,
                   scope: Scope) -> None:
    problems = param_problems(params)
    for name, message in problems:
        doc.error(("params", name), f"params.{name}: {message}")
    field = write_back_field_of(params)
    if problems or field is None or source is None or source.connector is None:
        return
    try:
        plugin = scope.registry.get(source.connector)
    except Exception:   # an unknown connector is reported where the source is checked
        return
    judge = getattr(plugin, "pay_link_field_problem", None)
    at = ("params", FIELD) if FIELD in params else ("params", DELIVERY)
    if judge is None:
        doc.error(at, f"params.{at[1]}: delivery: payable writes the pay link back into "
                      f"the source, but the {source.connector} connector cannot take it; "
                      "use email or none")
        return
    problem = judge(source.endpoint.entity, field)
    if problem is not None:
        doc.error(at, f"params.{at[1]}: {problem}")
