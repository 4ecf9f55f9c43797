"""The Stripe field descriptions the connector ships agree with the installed `stripe` package.

`connectors/stripe/fields.json` is what `pipeline validate` checks Stripe field names
against; it is generated from the package (the runtime does not depend on it). When the
package is upgraded for a new API version, this fails until the file is regenerated.
"""

from __future__ import annotations

from regenerate_stripe_fields import OUTPUT, generate, render

from ml_connector.connectors.stripe.settings import API_VERSION
from ml_connector.connectors.stripe.spec import ENTITIES


def test_the_shipped_fields_agree_with_the_installed_stripe_package() -> None:
    shipped = OUTPUT.read_text(encoding="utf-8")
    assert shipped == render(generate()), (
        "connectors/stripe/fields.json is out of date: run "
        "python tests/stripe/regenerate_stripe_fields.py")


def test_the_fields_describe_the_pinned_api_version_and_every_entity() -> None:
    data = generate()
    assert data["api_version"] == API_VERSION
    assert sorted(data["entities"]) == sorted(ENTITIES)
