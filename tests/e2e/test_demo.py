"""The README's main command: `ml-connector demo` runs everything locally and exits 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_whole_product_and_reconciles(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from ml_connector.engine.cli.main import main; main()",
         "demo", "--dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "everything reconciles" in result.stderr
    assert "customers-to-stripe: 30 created" in result.stderr
    assert (tmp_path / "demo" / ".ml-connector" / "state.db").exists()
