#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv and install simulagent with the extras named in
# $SIMULAGENT_EXTRAS (default: everything the README's commands need). Re-running is quick: nothing is installed
# again unless pyproject.toml, constraints.txt or the extras changed.
#
# Usage: scripts/setup.sh            (from anywhere inside the repository)
set -euo pipefail
cd "$(dirname "$0")/.."

# One set of extras for both README commands, so switching between them never reinstalls.
extras="${SIMULAGENT_EXTRAS:-test,server,speech,tts,rag,llm}"
venv=".venv"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "error: simulagent needs Python 3.11 or newer (found: $("$python" --version 2>&1))" >&2
    exit 2
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating $venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
fi

stamp="$venv/.setup-stamp"
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1) extras=$extras"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

echo "setup: installing simulagent[$extras] (first run takes several minutes)"
# constraints.txt pins the CPU build of torch; the package itself only asks for a range.
# (pip's notes about local package folders it skips are noise here: filtered.)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[$extras]" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
echo "$want" > "$stamp"
