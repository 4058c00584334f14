#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: set-up, static checks (ruff, mypy, import-linter), then pytest.
#
# Usage: scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The browser end-to-end test drives Debian's Chromium (Playwright never downloads a browser here).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian's chromium for the browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "setup: chromium could not be installed; the browser test will be skipped" >&2
fi
# A hub lookup hangs ~80 s before failing on a machine without internet; tests never need one.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
export MPLBACKEND=Agg
scripts/lint.sh
echo "== pytest"
exec .venv/bin/python -m pytest "$@"
