"""Both emulators, a project wired to them, and an authorised QuickBooks connection.

This is the "embedded defaults" world: no account and no key needed. The demo runs in it, and
so do the end-to-end, fault-injection and benchmark suites, so all of them exercise the same
set-up a user would make by hand (`init`, `connections set-secret`, `connections auth`),
against local emulators instead of the real services.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ml_connector.connectors.quickbooks.emulator import create_app as qbo_app
from ml_connector.connectors.stripe.emulator import create_app as stripe_app
from ml_connector.engine.model.project import Project
from ml_connector.engine.plugins.emulators import state_file
from ml_connector.engine.store import Store
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.testing.servers import BackgroundServer

# Made-up credentials that only the local emulators accept.
QBO_CLIENT_ID = "sandbox-client-id"
QBO_CLIENT_SECRET = "sandbox-client-secret-7f3a"
QBO_VERIFIER = "sandbox-verifier-token-91c2"
QBO_REALM = "9341455000000"
STRIPE_KEY = "sk_test_sandbox4f9a2c7e1b"
STRIPE_WEBHOOK_SECRET = "whsec_sandbox8d1e5b3a"


@dataclass
class SandboxOptions:
    seed_quickbooks: bool = True
    qbo: dict[str, Any] = field(default_factory=dict)
    stripe: dict[str, Any] = field(default_factory=dict)
    pipelines_dir: Path | None = None   # None: the shipped pipelines
    workers: int = Project.workers
    store_url: str | None = None        # None: SQLite file in the project folder
    # Emulators keep their state in the project's state folder (saved as it changes and
    # when they stop), so `ml-connector emulators start` brings them back as they were left.
    keep_state: bool = False


class Sandbox:
    """Start with `with Sandbox(folder) as sandbox:`; `sandbox.runtime()` opens the project."""

    def __init__(self, folder: Path, options: SandboxOptions | None = None):
        self.folder, self.options = Path(folder), options or SandboxOptions()
        self.qbo_server: BackgroundServer | None = None
        self.stripe_server: BackgroundServer | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        qbo_options = {"client_id": QBO_CLIENT_ID, "client_secret": QBO_CLIENT_SECRET,
                       "verifier_token": QBO_VERIFIER, "realm_id": QBO_REALM,
                       "seed": self.options.seed_quickbooks, **self._state_file("quickbooks"),
                       **self.options.qbo}
        stripe_options = {"api_keys": [STRIPE_KEY], **self._state_file("stripe"),
                          **self.options.stripe}
        self.qbo_server = BackgroundServer(qbo_app(qbo_options)).start()
        self.stripe_server = BackgroundServer(stripe_app(stripe_options)).start()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.project_file.write_text(self._project_text(), encoding="utf-8")
        self._store_secrets()
        self._authorise_quickbooks()

    def stop(self) -> None:
        for server in (self.qbo_server, self.stripe_server):
            if server is not None:
                server.stop()

    # -- what tests and the demo use ----------------------------------------------------------

    @property
    def project_file(self) -> Path:
        return self.folder / "ml-connector.yaml"

    @property
    def qbo_url(self) -> str:
        assert self.qbo_server is not None
        return self.qbo_server.url

    @property
    def stripe_url(self) -> str:
        assert self.stripe_server is not None
        return self.stripe_server.url

    def runtime(self) -> Runtime:
        return Runtime.open(self.project_file)

    def qbo_admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return _post(f"{self.qbo_url}/_emulator/{path}", body)

    def stripe_admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return _post(f"{self.stripe_url}/_emulator/{path}", body)

    def qbo_state(self) -> Any:
        return httpx.get(f"{self.qbo_url}/_emulator/state", timeout=30).json()

    def stripe_get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        reply = httpx.get(f"{self.stripe_url}{path}", params=params, auth=(STRIPE_KEY, ""),
                          timeout=30)
        reply.raise_for_status()
        return reply.json()

    def stripe_post(self, path: str, form: dict[str, Any]) -> Any:
        """A form-encoded Stripe call, as a customer's checkout page would make it."""
        reply = httpx.post(f"{self.stripe_url}{path}", data=form, auth=(STRIPE_KEY, ""),
                           timeout=30)
        reply.raise_for_status()
        return reply.json()

    def qbo_query(self, statement: str) -> list[dict[str, Any]]:
        """Rows of a QBO query, read with a token of the emulator's own (not the project's)."""
        token = self.qbo_admin("connect", {"realm_id": QBO_REALM})["access_token"]
        reply = httpx.get(f"{self.qbo_url}/v3/company/{QBO_REALM}/query",
                          params={"query": statement, "minorversion": 75},
                          headers={"Authorization": f"Bearer {token}",
                                   "Accept": "application/json"}, timeout=30)
        reply.raise_for_status()
        body = reply.json()["QueryResponse"]
        return next((v for k, v in body.items() if isinstance(v, list)), [])

    def connect_webhooks(self, service_url: str, *, qbo_format: str = "cloudevents") -> None:
        """Point both emulators' webhooks at a running `serve`."""
        self.qbo_admin("webhooks", {"url": f"{service_url}/webhooks/quickbooks",
                                    "format": qbo_format, "verifier_token": QBO_VERIFIER})
        self.stripe_admin("webhook_endpoints", {"url": f"{service_url}/webhooks/stripe",
                                                "secret": STRIPE_WEBHOOK_SECRET})

    # -- set-up steps a user would do by hand ---------------------------------------------------

    def _state_file(self, connection: str) -> dict[str, str]:
        if not self.options.keep_state:
            return {}
        path = state_file(self.folder, connection)
        path.parent.mkdir(parents=True, exist_ok=True)
        return {"state_file": str(path)}

    def _project_text(self) -> str:
        store = self.options.store_url or "sqlite:///.ml-connector/state.db"
        pipelines = (f"pipelines: ['{self.options.pipelines_dir}']\n"
                     if self.options.pipelines_dir else "")
        return textwrap.dedent(f"""\
            version: 1
            store: {{url: "{store}"}}
            workers: {self.options.workers}
            """) + pipelines + textwrap.dedent(f"""\
            connections:
              quickbooks:
                connector: quickbooks
                base_url: "{self.qbo_url}"
                settings:
                  environment: sandbox
                  client_id: "{QBO_CLIENT_ID}"
                  client_secret: "${{secret:quickbooks.client_secret}}"
                  webhook_verifier_token: "${{secret:quickbooks.webhook_verifier_token}}"
                  authorize_url: "{self.qbo_url}/connect/oauth2"
                  token_url: "{self.qbo_url}/oauth2/v1/tokens/bearer"
                  revoke_url: "{self.qbo_url}/v2/oauth2/tokens/revoke"
              stripe:
                connector: stripe
                base_url: "{self.stripe_url}"
                settings:
                  mode: test
                  secret_key: "${{secret:stripe.secret_key}}"
                  webhook_secret: "${{secret:stripe.webhook_secret}}"
            """)

    def _store_secrets(self) -> None:
        runtime = self.runtime()
        try:
            secrets = runtime.store.secrets
            secrets.put("quickbooks.client_secret", QBO_CLIENT_SECRET)
            secrets.put("quickbooks.webhook_verifier_token", QBO_VERIFIER)
            secrets.put("stripe.secret_key", STRIPE_KEY)
            secrets.put("stripe.webhook_secret", STRIPE_WEBHOOK_SECRET)
        finally:
            runtime.close()

    def _authorise_quickbooks(self) -> None:
        """The real OAuth flow: authorize URL, consent (auto-approved), redirect, code exchange."""
        runtime = self.runtime()
        shown: list[str] = []

        def follow(_prompt: str) -> str:
            url = next(line for text in shown for line in text.splitlines()
                       if line.startswith("http"))
            reply = httpx.get(url, follow_redirects=False, timeout=30)
            return reply.headers["location"]

        try:
            plugin: Any = runtime.plugin_for("quickbooks")
            plugin.authorize(runtime.context("quickbooks"), open_browser=False,
                             read_redirect=follow, echo=shown.append)
        finally:
            runtime.close()


def open_store(sandbox: Sandbox) -> Store:
    runtime = sandbox.runtime()
    return runtime.store


def _post(url: str, body: dict[str, Any] | None) -> Any:
    reply = httpx.post(url, json=body or {}, timeout=60)
    reply.raise_for_status()
    return reply.json() if reply.content else None
