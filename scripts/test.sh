#!/usr/bin/env bash
# Installs everything the tests need and runs the whole suite (lint, JS tests, pytest).
# CI calls this through .ci/run with CI=true: then a missing database server fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install -q -e ".[test]"

# Real headless Chromium for the browser tests, and CJK fonts so Chinese labels render.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "warning: install Chromium and a CJK font for the browser tests" >&2
  fi
fi

# PostgreSQL and MariaDB for the integration tests (no-op when they are up or pointed elsewhere).
bash scripts/start-test-servers.sh

ruff check .
node --test tests/js/
python -m pytest -n "${TOOLCRIB_TEST_WORKERS:-2}" "$@"
