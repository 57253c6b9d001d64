#!/usr/bin/env bash
# Run the benchmarks (see docs/performance.md): bash bench/run.sh [--short] [options]
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m bench "$@"
