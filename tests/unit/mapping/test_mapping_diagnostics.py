"""Load-time problems in a mapping, each with its exact text and place in the file.

Cases are data: YAML as a user would write it, and every diagnostic it must produce.
"""

from __future__ import annotations

import pytest
from mapping_testkit import FILE, compile_yaml, messages

from ml_connector.engine.diagnostics import Location
from ml_connector.engine.mapping import CONTEXT_NAMES, ExpressionError, compile_expression

AVAILABLE = "available: link, linked_source, lookup, now, params, record, source"

CASES = {
    "unknown filter with a close match": (
        'mapping:\n  amount: "{{ record.TotalAmt | minor_unit(\'usd\') }}"\n',
        [f"{FILE}:2:11: unknown filter 'minor_unit' (did you mean 'minor_units'?)"],
    ),
    "unknown filter without a close match": (
        'mapping:\n  name: "{{ record.Name | zzzzqq }}"\n',
        [f"{FILE}:2:9: unknown filter 'zzzzqq'"],
    ),
    "unknown test": (
        'mapping:\n  flag: "{{ record.Balance is evn }}"\n',
        [f"{FILE}:2:9: unknown test 'evn' (did you mean 'even'?)"],
    ),
    "unknown test named as a selectattr argument": (
        "mapping:\n  lines: \"{{ record.Line | selectattr('Amount', 'equalsto', 1) }}\"\n",
        [f"{FILE}:2:10: unknown test 'equalsto' (did you mean 'equalto'?)"],
    ),
    "misspelt context name": (
        'mapping:\n  id: "{{ recrod.Id }}"\n',
        [f"{FILE}:2:7: unknown name 'recrod' in expression (did you mean 'record'?); "
         f"{AVAILABLE}"],
    ),
    "syntax error on a one-line value": (
        'mapping:\n  a: ok\n  id: "{{ record.Id }"\n',
        [f"{FILE}:3:7: invalid expression: unexpected '}}'"],
    ),
    "syntax error inside a block scalar is on its own line": (
        "mapping:\n"
        "  memo: |\n"
        "    Invoice {{ record.DocNumber }}\n"
        "    {% if record.Balance > 0 %}due{% endfi %}\n",
        [f"{FILE}:4:9: invalid expression: encountered unknown tag 'endfi'. Jinja was looking "
         "for the following tags: 'elif' or 'else' or 'endif'. The innermost block that "
         "needs to be closed is 'if'"],
    ),
    "for_each without item": (
        'mapping:\n  lines:\n    for_each: "{{ record.Line }}"\n    as: line\n',
        [f"{FILE}:3:5: for_each needs an 'item' that says what each element becomes"],
    ),
    "unknown key beside for_each": (
        "mapping:\n  lines:\n    for_each: \"{{ record.Line }}\"\n    ass: line\n"
        "    item: \"{{ item.Amount }}\"\n",
        [f"{FILE}:4:10: unknown key 'ass' beside for_each (did you mean 'as'?); "
         "expected: as, for_each, item"],
    ),
    "for_each over plain text": (
        "mapping:\n  lines:\n    for_each: record.Line\n    item: x\n",
        [f'{FILE}:3:15: for_each needs one {{{{ }}}} expression that yields a list, such as '
         f'"{{{{ record.Line }}}}"'],
    ),
    "loop variable is only known inside its item": (
        "mapping:\n"
        "  lines:\n"
        "    for_each: \"{{ record.Line }}\"\n"
        "    as: line\n"
        "    item: {amount: \"{{ line.Amount }}\"}\n"
        "  total: \"{{ line.Amount }}\"\n",
        [f"{FILE}:6:10: unknown name 'line' in expression (did you mean 'link'?); "
         f"{AVAILABLE}"],
    ),
    "loop variable that hides a context name": (
        "mapping:\n  lines:\n    for_each: \"{{ record.Line }}\"\n    as: record\n"
        "    item: \"{{ record.Amount }}\"\n",
        [f"{FILE}:4:9: 'as: record' would hide the name 'record' already available here; "
         "choose another name"],
    ),
    "same field twice, once optional": (
        'mapping:\n  email: "{{ record.Email }}"\n  email?: "{{ record.Mail }}"\n',
        [f"{FILE}:3:11: field 'email' is mapped twice"],
    ),
    "field name YAML reads as a boolean": (
        "mapping:\n  on: x\n",
        [f"{FILE}:2:7: field name true is not text; put it in quotes"],
    ),
    "include is refused": (
        "mapping:\n  memo: \"{% include 'secrets.txt' %}\"\n",
        [f"{FILE}:2:9: 'include' is not available in pipeline expressions"],
    ),
}


@pytest.mark.parametrize("text, expected", CASES.values(), ids=CASES.keys())
def test_each_problem_is_reported_at_its_place(text: str, expected: list[str]) -> None:
    _, diagnostics = compile_yaml(text)
    assert messages(diagnostics) == expected


def test_every_problem_in_a_mapping_is_reported_at_once() -> None:
    text = (
        "mapping:\n"
        "  customer: \"{{ recrod.CustomerRef.value }}\"\n"
        "  amount: \"{{ record.TotalAmt | minor_unit(record.CurrencyRef.value) }}\"\n"
        "  lines:\n"
        "    for_each: \"{{ record.Line }}\"\n"
        "    as: line\n"
        "    sort: Amount\n"
        "    item:\n"
        "      amount: \"{{ line.Amount | minor_units('usd') | bogus }}\"\n"
    )
    _, diagnostics = compile_yaml(text)
    assert [(d.location.line, d.message.split(" (")[0].split(";")[0]) for d in
            sorted(diagnostics, key=lambda d: d.sort_key())] == [
        (2, "unknown name 'recrod' in expression"),
        (3, "unknown filter 'minor_unit'"),
        (7, "unknown key 'sort' beside for_each"),
        (9, "unknown filter 'bogus'"),
    ]


def test_all_problems_of_one_expression_come_together() -> None:
    where = Location(FILE, 7, 3)
    with pytest.raises(ExpressionError) as caught:
        compile_expression("{{ recrod.Id | minor_unit('usd') | bogus }}", where, CONTEXT_NAMES)
    found = [d.message.split(" (")[0].split(";")[0] for d in caught.value.diagnostics]
    assert sorted(found) == ["unknown filter 'bogus'", "unknown filter 'minor_unit'",
                             "unknown name 'recrod' in expression"]
    assert all(d.location == where for d in caught.value.diagnostics)
    assert caught.value.location == where
    assert caught.value.message == caught.value.diagnostics[0].message


def test_messages_show_no_python_internals() -> None:
    text = 'mapping:\n  a: "{{ recrod.Id | minor_unit(\'usd\') }}"\n  b: "{{ x }"\n'
    _, diagnostics = compile_yaml(text)
    assert len(diagnostics) == 3
    for diagnostic in diagnostics:
        assert diagnostic.message[0].islower()
        assert "<" not in diagnostic.message and "object at" not in diagnostic.message


def test_a_valid_mapping_has_no_diagnostics() -> None:
    text = (
        "mapping:\n"
        "  customer: \"{{ link('customers-to-stripe', record.CustomerRef.value) }}\"\n"
        "  description?: \"{{ record.CustomerMemo.value }}\"\n"
        "  lines:\n"
        "    for_each: \"{{ record.Line | selectattr('DetailType', 'equalto', 'X') }}\"\n"
        "    item: {amount: \"{{ item.Amount | minor_units(params.currency) }}\"}\n"
        "  tags: [a, \"{{ now }}\"]\n"
    )
    _, diagnostics = compile_yaml(text)
    assert diagnostics == []
