"""The authorization-code flow behind `ml-connector connections auth <name>`.

1. Build the authorize URL (scope `com.intuit.quickbooks.accounting`, a random `state`).
2. Receive the redirect: on the local callback port when the redirect URI is a localhost
   URL, or as a URL the user pastes (servers without a browser).
3. Check `state` (a mismatch is a forged or stale redirect), capture `realmId`, exchange the
   code, and store the token pair encrypted before reporting success.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from ml_connector.connectors.quickbooks.settings import SCOPE, QboSettings
from ml_connector.connectors.quickbooks.token_endpoint import InvalidGrant, TokenEndpoint
from ml_connector.connectors.quickbooks.tokens import TokenSet, save_tokens
from ml_connector.engine.errors import AuthError
from ml_connector.engine.plugins.protocol import CredentialStore

LOCAL_HOSTS = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str


def authorization_request(settings: QboSettings) -> AuthorizationRequest:
    state = secrets.token_urlsafe(24)
    query = urlencode({"client_id": settings.client_id, "response_type": "code",
                       "scope": SCOPE, "redirect_uri": settings.redirect_uri,
                       "state": state})
    return AuthorizationRequest(f"{settings.authorize_url}?{query}", state)


def complete(settings: QboSettings, credentials: CredentialStore, endpoint: TokenEndpoint,
             redirect_url: str, expected_state: str) -> TokenSet:
    """Check the redirect, exchange its code and persist the tokens."""
    params = {k: v[0] for k, v in parse_qs(urlparse(redirect_url.strip()).query).items()}
    if not secrets.compare_digest(params.get("state", ""), expected_state):
        raise AuthError("the redirect's state does not match this authorisation request "
                        "(a stale or forged redirect)", reauth_command=settings.reauth_command)
    if "error" in params:
        raise AuthError(f"QuickBooks did not authorise the connection: {params['error']}",
                        reauth_command=settings.reauth_command)
    code, realm = params.get("code"), params.get("realmId")
    if not code or not realm:
        raise AuthError("the redirect carries no code or realmId",
                        reauth_command=settings.reauth_command)
    try:
        tokens = endpoint.exchange_code(code, realm)
    except InvalidGrant as exc:
        raise AuthError(f"QuickBooks refused the authorisation code ({exc.description}); "
                        "codes are single-use and short-lived",
                        reauth_command=settings.reauth_command) from exc
    save_tokens(credentials, tokens)
    return tokens


def is_local(redirect_uri: str) -> bool:
    parsed = urlparse(redirect_uri)
    return parsed.scheme == "http" and parsed.hostname in LOCAL_HOSTS


def wait_for_redirect(redirect_uri: str, timeout: float,
                      on_ready: Callable[[], None] | None = None) -> str:
    """Serve the redirect URI's port once and return the URL the browser was sent to."""
    parsed = urlparse(redirect_uri)
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if urlparse(self.path).path != (parsed.path or "/"):
                self.send_error(404)
                return
            received.append(f"{parsed.scheme}://{parsed.netloc}{self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"ml-connector: authorisation received; you can close this tab.")

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer((parsed.hostname or "127.0.0.1", parsed.port or 80), Handler)
    server.timeout = 0.5
    thread = threading.Thread(target=_serve_until, args=(server, received, timeout),
                              daemon=True)
    thread.start()
    if on_ready is not None:
        on_ready()
    thread.join(timeout + 1)
    server.server_close()
    if not received:
        raise AuthError(f"no redirect arrived on {redirect_uri} within {timeout:.0f}s")
    return received[0]


def _serve_until(server: HTTPServer, received: list[str], timeout: float) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not received and time.monotonic() < deadline:
        server.handle_request()
