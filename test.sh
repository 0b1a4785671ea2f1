#!/usr/bin/env bash
# Runs every llamagic test, preparing what they need first: a venv with pinned Jupyter test clients and
# jjava, the build (unit tests), the kernelspec installed into the venv by ./install.sh, then the kernel and
# notebook tests on the real kernel. Usage: ./test.sh [pytest args...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
. scripts/venv.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Python test environment (${LLAMAGIC_TEST_VENV:-$here/.venv})"
llamagic_venv "$here"
venv="$VENV"

step "build and unit tests (Maven wrapper)"
# Maven's own exit status, kept in a file: with pipefail, "|| true" would reset PIPESTATUS and hide a failure
mvn_rc="$(mktemp)"
{ rc=0; ./mvnw -B -ntp verify 2>&1 || rc=$?; echo "$rc" > "$mvn_rc"; } \
  | grep -E '^\[(INFO|ERROR|WARNING)\] (Tests run|BUILD|FAIL|Reactor|llamagic|.*ERROR)|Tests run:|FAILURE' || true
if [ "$(cat "$mvn_rc")" != 0 ]; then
  echo "unit tests or the build failed"
  # what failed and why: the reports of the failing test classes (a rerun could pass and hide a flaky failure)
  failed="$(grep -l -E '(FAILURE|ERROR)!' */target/surefire-reports/*.txt 2>/dev/null || true)"
  for f in $failed; do echo "--- $f"; head -c 6000 "$f"; echo; done
  [ -n "$failed" ] || ./mvnw -B -ntp -q -o verify -DskipTests
  exit 1
fi
rm -f "$mvn_rc"

step "install the kernelspec into the test venv (./install.sh --sys-prefix)"
PATH="$venv/bin:$PATH" PYTHON="$venv/bin/python" ./install.sh --sys-prefix

for prep in tests/prepare/*.sh; do
  [ -e "$prep" ] || continue
  step "prepare: $prep"
  PATH="$venv/bin:$PATH" bash "$prep"
done

step "kernel and notebook tests (pytest on the real kernel)"
export PATH="$venv/bin:$PATH"
exec "$venv/bin/python" -m pytest tests -v -rs "$@"
