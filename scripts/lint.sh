#!/usr/bin/env bash
# Static checks only (no set-up, no tests): ruff, ruff format, mypy and the import-linter contracts.
# scripts/test.sh runs this too; call it alone while developing.
#
# Usage: scripts/lint.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"
ruff check .
ruff format --check .

echo "== mypy and import-linter"
# The areas live at the repository root but are imported as simulagent.*: give both tools a tree of that shape.
tree="build/typecheck"
rm -rf "$tree" && mkdir -p "$tree/simulagent"
cp -r core/. "$tree/simulagent/"
for area in agent policies models verticals rag eval; do cp -r "$area" "$tree/simulagent/$area"; done
find "$tree" -name __pycache__ -prune -exec rm -rf {} +
(cd "$tree" && mypy --config-file ../../pyproject.toml --cache-dir ../../.mypy_cache -p simulagent)
(cd "$tree" && PYTHONPATH=. lint-imports --config ../../pyproject.toml --no-cache)
