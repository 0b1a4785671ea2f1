#!/usr/bin/env bash
# %to-gguf benchmark for a vision-language model (Qwen2.5-VL-3B-shaped, both GGUFs): scripts/bench/to_gguf.sh --vl.
#   scripts/bench/to_gguf_vl.sh [--runs N] [--keep]
exec "$(dirname "$0")/to_gguf.sh" --vl "$@"
