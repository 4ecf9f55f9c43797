#!/usr/bin/env bash
# Set up a virtualenv with the package and its test tools, lint, and run the whole test suite.
# Store tests also run against PostgreSQL when ML_CONNECTOR_TEST_POSTGRES_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
