"""A stateful local emulator of the QuickBooks Online Accounting API and Intuit OAuth 2.0.

`create_app(options)` returns an ASGI app; run it with uvicorn or, in tests, with
`ml_connector.engine.testing.servers.serve_in_thread`. Its state is `app.state.emulator`.
"""

from ml_connector.connectors.quickbooks.emulator.app import create_app
from ml_connector.connectors.quickbooks.emulator.seed import seed
from ml_connector.connectors.quickbooks.emulator.state import EmulatorState
from ml_connector.connectors.quickbooks.emulator.webhooks import sign

__all__ = ["EmulatorState", "create_app", "seed", "sign"]
