#!/usr/bin/env bash
# llamagic installer: JDK 17+, build (Maven wrapper), jjava and jupyter-server-proxy from PyPI, the `llamagic` kernelspec, self-check.
# Usage: ./install.sh [--user | --sys-prefix | --prefix DIR] [--no-check] [--no-archive] [--uninstall]
set -euo pipefail

JJAVA_VERSION="1.0a8"
here="$(cd "$(dirname "$0")" && pwd)"
mode="user"; prefix=""; check=1; cds=1; action="install"
PY="${PYTHON:-python3}"

say() { printf '\033[1mllamagic:\033[0m %s\n' "$*"; }
die() { printf 'llamagic install: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --user) mode="user" ;;
    --sys-prefix) mode="sys-prefix" ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; mode="prefix"; prefix="$(mkdir -p "$2" && cd "$2" && pwd)"; shift ;;
    --no-check) check=0 ;;
    --no-archive) cds=0 ;;
    --uninstall) action="uninstall" ;;
    -h|--help) sed -n '2,3p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (see ./install.sh --help)" ;;
  esac
  shift
done

command -v "$PY" >/dev/null || die "no $PY found: llamagic needs Python 3 with pip (the one Jupyter runs in)"
state_dir="${XDG_DATA_HOME:-$HOME/.local/share}/llamagic"
state="$state_dir/installed-$mode$(echo "$prefix" | tr '/' '_')"

if [ "$action" = "uninstall" ]; then
  "$PY" "$here/scripts/kernelspec.py" uninstall "$prefix" >/dev/null 2>&1 || true
  say "removed the llamagic kernelspec"
  if [ -f "$state" ] && grep -qx 'pip jjava' "$state"; then
    "$PY" -m pip uninstall -y -q jjava && say "removed jjava (installed by llamagic)"
  fi
  if [ -f "$state" ] && grep -qx 'pip jupyter-server-proxy' "$state"; then
    "$PY" -m pip uninstall -y -q jupyter-server-proxy && say "removed jupyter-server-proxy (installed by llamagic)"
  fi
  if [ -f "$state" ] && grep -qx 'apt jdk' "$state"; then
    say "a JDK was installed by apt for llamagic; remove it with: apt-get remove openjdk-17-jdk-headless"
  fi
  rm -f "$state"
  exit 0
fi

# 1. A JDK 17+ with JShell (JJava runs cells in JShell) and javac (the build).
java_ok() {
  local j="$1"
  [ -x "$j" ] || return 1
  local v; v="$("$j" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [ -n "$v" ] && [ "${v%%.*}" -ge 17 ] 2>/dev/null || return 1
  "$j" --list-modules 2>/dev/null | grep -q '^jdk.jshell' || return 1
  [ -x "$(dirname "$j")/javac" ]
}
find_java() {
  for j in "${JAVA_HOME:-/nonexistent}/bin/java" "$(command -v java 2>/dev/null || true)" /usr/lib/jvm/*/bin/java; do
    [ -n "$j" ] || continue
    j="$(readlink -f "$j" 2>/dev/null || echo "$j")"
    if java_ok "$j"; then echo "$j"; return 0; fi
  done
  return 1
}
mkdir -p "$state_dir"; touch "$state"
JAVA="$(find_java || true)"
if [ -z "$JAVA" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    say "no JDK 17+ found: installing openjdk-17-jdk-headless with apt"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
    echo "apt jdk" >> "$state"
    JAVA="$(find_java || true)"
  fi
  [ -n "$JAVA" ] || die "no JDK 17+ (with javac and jshell) found; install one (e.g. 'apt-get install openjdk-17-jdk-headless') or set JAVA_HOME"
fi
export JAVA_HOME="$(dirname "$(dirname "$JAVA")")"
say "Java: $JAVA"

# 2. Build llamagic.jar with the Maven wrapper, unless it is newer than every source.
jar="$here/kernel/target/llamagic.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$here/pom.xml" "$here/magics" "$here/kernel/pom.xml" "$here/kernel/src" -newer "$jar" -type f -not -path '*/target/*' 2>/dev/null | head -1)" ]; then
  say "building llamagic.jar (Maven wrapper)"
  (cd "$here" && ./mvnw -q -B -DskipTests package) || die "the build failed (see the Maven output above)"
fi
[ -f "$jar" ] || die "the build produced no $jar"

# 3. JJava from PyPI, into the current Python environment.
if "$PY" -c "import importlib.metadata as m; import sys; sys.exit(0 if m.version('jjava') in ('$JJAVA_VERSION','1.0-a8') else 1)" 2>/dev/null; then
  say "jjava $JJAVA_VERSION already installed"
else
  say "pip install jjava==$JJAVA_VERSION"
  "$PY" -m pip install -q "jjava==$JJAVA_VERSION" "jupyter_client>=8" || die "pip could not install jjava"
  grep -qx 'pip jjava' "$state" || echo "pip jjava" >> "$state"
fi
"$PY" -c "import jupyter_client" 2>/dev/null || "$PY" -m pip install -q "jupyter_client>=8"
# 3b. jupyter-server-proxy: opens llama-server's web UI from the notebook's browser through JupyterLab
# (<base_url>proxy/<port>/), the only way in on PAI-DSW. Optional: without it %serve still works.
if "$PY" -c "import jupyter_server_proxy" 2>/dev/null; then
  say "jupyter-server-proxy already installed"
elif "$PY" -m pip install -q "jupyter-server-proxy>=4.4"; then
  say "installed jupyter-server-proxy (the web UI through JupyterLab: <base_url>proxy/<port>/)"
  grep -qx 'pip jupyter-server-proxy' "$state" || echo "pip jupyter-server-proxy" >> "$state"
else
  say "could not install jupyter-server-proxy: the web UI opens only at the server's own URL"
fi

# 4. The kernelspec.
dest="$("$PY" "$here/scripts/kernelspec.py" install "$JAVA" "$jar" "$mode" "$prefix")" || die "could not install the kernelspec"
say "kernelspec 'llamagic' installed in $dest"

# 4b. The kernel's start-up archive (AppCDS): a training kernel runs a few cells once; later kernels map the classes
# it loaded instead of loading them again. Without it the kernel works the same, it starts slower.
if [ "$cds" = 1 ]; then
  say "making the kernel's start-up archive (one training kernel, ~10-30 s)"
  if made="$("$PY" "$here/scripts/kernelspec.py" archive "$dest")"; then
    say "start-up archive: $made"
  else
    say "no start-up archive (see the line above); the kernel starts without it"
  fi
fi

# 5. Self-check: start the kernel by name and run %llamagic.
if [ "$check" = 1 ]; then
  "$PY" "$here/scripts/kernelspec.py" check "$prefix" || die "self-check failed (kernel log above)"
fi
say "done. In JupyterLab pick the kernel \"Java · llamagic (LLM)\" and run %llamagic"
