#!/usr/bin/env bash
# The CUDA tier (LLAMAGIC_TEST_CUDA=1, or =13 for pip's CUDA 13 wheels): a real CUDA toolkit on a machine without a
# GPU, for tests/kernel/test_build_cuda.py. =1: Debian's nvidia-cuda-toolkit (CUDA 11.8, component non-free) with
# libcuda1 (the driver library the CUDA binaries load even to say "no device"), g++-11 (CUDA 11.8 takes g++ <= 11)
# and ccache. =13: also pip's nvidia-cuda-nvcc 13.0 and companions in a venv under the test cache (pip's 12.x
# nvcc wheels hold ptxas but no nvcc). Idempotent: installs only what is missing. Without the variable: nothing.
set -euo pipefail
case "${LLAMAGIC_TEST_CUDA:-}" in 1|13) ;; *) exit 0;; esac
cache="${LLAMAGIC_TEST_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/llamagic-test}"
need=()
command -v nvcc >/dev/null || need+=(nvidia-cuda-toolkit)
[ -e /usr/lib/x86_64-linux-gnu/nvidia/current/libcuda.so.1 ] || ldconfig -p | grep -q 'libcuda\.so\.1 ' || need+=(libcuda1)
command -v g++-11 >/dev/null || need+=(g++-11)
command -v ccache >/dev/null || need+=(ccache)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "the CUDA tier needs root and apt to install: ${need[*]}"; exit 1; }
  # non-free (and contrib) in Debian's sources: deb822 or one-line format
  for f in /etc/apt/sources.list.d/debian.sources; do
    [ -f "$f" ] && sed -i -E '/^Components:/{/non-free( |$)/!s/$/ contrib non-free/}' "$f"
  done
  [ -f /etc/apt/sources.list ] && sed -i -E '/^deb .*debian/{/non-free( |$)/!s/$/ contrib non-free/}' /etc/apt/sources.list
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  echo "installed: ${need[*]}"
fi
echo "CUDA toolkit: $(nvcc --version | grep -o 'release [0-9.]*'), host compiler $(command -v g++-11), ccache $(ccache --version | head -1)"
if [ "${LLAMAGIC_TEST_CUDA}" = 13 ]; then
  venv="$cache/cuda13-wheels"
  if [ ! -x "$venv/lib/python3"*/site-packages/nvidia/cu13/bin/nvcc ] 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "nvidia-cuda-nvcc==13.0.*" "nvidia-cuda-crt==13.0.*" \
      "nvidia-nvvm==13.0.*" "nvidia-cuda-runtime==13.0.*" "nvidia-cublas==13.0.*" "nvidia-cuda-cccl==13.0.*"
  fi
  echo "CUDA 13 wheels: $(ls -d "$venv"/lib/python3*/site-packages/nvidia/cu13)"
fi
