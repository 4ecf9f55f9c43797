"""The e2e tests' child processes never block on their own stderr, and show it on failure."""

from __future__ import annotations

from pathlib import Path

import processes
import pytest
from processes import ml_connector, serve

from ml_connector.engine.testing.servers import free_port

CHATTY = "import sys\nfor _ in range(20000): sys.stderr.write('a line of log, again\\n')\n"
FAILS_AT_START = "import sys; sys.stderr.write('cannot open the state store: boom'); sys.exit(1)"
# Answers /healthz, logging every request to stderr, as a server that talks a lot does.
CHATTY_SERVER = """\
import http.server, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers()
port = int(sys.argv[sys.argv.index("--port") + 1])
sys.stderr.write("listening, chatty\\n" * 5000); sys.stderr.flush()
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def test_a_child_that_writes_much_to_stderr_runs_to_its_end(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "MAIN", CHATTY)
    with ml_connector(tmp_path, "status") as child:
        assert child.wait(timeout=60) == 0      # a full pipe would have blocked it for good
        assert child.stderr_text().count("a line of log") == 20000


def test_a_serve_that_cannot_start_says_why(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "MAIN", FAILS_AT_START)
    with pytest.raises(AssertionError, match="cannot open the state store: boom"), \
            serve(tmp_path, free_port()):
        pass


def test_a_test_failing_while_serve_runs_shows_its_stderr(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(processes, "MAIN", CHATTY_SERVER)
    with pytest.raises(RuntimeError, match="the test failed"), serve(tmp_path, free_port()):
        raise RuntimeError("the test failed")
    shown = capsys.readouterr().err
    assert "stderr of --project" in shown and "listening, chatty" in shown
