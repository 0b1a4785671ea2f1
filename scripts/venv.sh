# Sourced by test.sh and quickstart.sh: the Python environment with pinned Jupyter clients and jjava, and the
# llamagic kernelspec installed into it. Sets VENV and puts it first on PATH.
llamagic_venv() {
  local root="$1"
  VENV="${LLAMAGIC_TEST_VENV:-$root/.venv}"
  local py="${PYTHON:-python3}"
  if [ ! -x "$VENV/bin/python" ]; then
    "$py" -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$root/tests/requirements.txt"
  export PATH="$VENV/bin:$PATH"
}
