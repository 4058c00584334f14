#!/usr/bin/env bash
# The main job: simultaneous speech translation of a recording with the bundled models, speech out included.
# With no arguments it translates a real French recording (Common Voice, from the evaluation data beside the
# repository) into English, printing committed text as it is committed and writing out/translation.wav.
#
# Usage: scripts/run.sh [FILE --from LANG --to en [simulagent translate options]]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1

if [ "$#" -eq 0 ]; then
    sample="../shared/data/cvss-fr-en-sample/common_voice_fr_17301936.mp3"
    if [ ! -f "$sample" ]; then
        echo "usage: scripts/run.sh FILE --from LANG --to en   (the default sample $sample is not here)" >&2
        exit 2
    fi
    mkdir -p out
    set -- "$sample" --from fr --to en --speak out/translation.wav --log out/translation.json
fi
exec .venv/bin/simulagent translate "$@"
