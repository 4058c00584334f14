#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: set-up, static checks (ruff, mypy, import-linter), then pytest.
#
# Usage: scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# A hub lookup hangs ~80 s before failing on a machine without internet; tests never need one.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
export MPLBACKEND=Agg
scripts/lint.sh
echo "== pytest"
exec .venv/bin/python -m pytest "$@"
