#!/usr/bin/env bash
# The main job: the quickstart notebook end to end, headless. Prepares a venv (.venv) with Jupyter's clients,
# builds and installs the llamagic kernel into it, then runs notebooks/01-quickstart.ipynb — for real where
# ModelScope and GitHub answer, else offline on a generated tiny model. Writes build-out/01-quickstart.ipynb
# and build-out/01-quickstart.html.   Usage: ./quickstart.sh [--offline | --online] [--out DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
. scripts/venv.sh
llamagic_venv "$here"
PYTHON="$VENV/bin/python" ./install.sh --sys-prefix --no-check
exec "$VENV/bin/python" scripts/quickstart.py "$@"
