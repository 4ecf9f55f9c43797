#!/usr/bin/env bash
# Install a built wheel into a fresh venv and use it from a folder outside the checkout:
# proves the ml_connector namespace, the console script and the shipped pipelines and
# schemas (package data) all work without the source tree.
set -euo pipefail
wheel="$1"
venv=$(mktemp -d)/venv
work=$(mktemp -d)
python3 -m venv "$venv"
"$venv/bin/pip" install -q "$wheel"
cd "$work"
"$venv/bin/ml-connector" --help >/dev/null
"$venv/bin/ml-connector" pipeline validate
"$venv/bin/ml-connector" connectors list
"$venv/bin/ml-connector" demo >/dev/null 2>&1 || { echo "demo failed from the wheel" >&2; "$venv/bin/ml-connector" demo; exit 1; }
if "$venv/bin/python" -c "import engine" 2>/dev/null; then
  echo "the wheel installs a top-level 'engine' module" >&2; exit 1
fi
echo "wheel OK: installed and ran from $work"
