#!/usr/bin/env bash
# Install, then run the whole test suite: fast tests (fakes) and slow ones (real model, real store).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser --llm
VENV=${CAPACITIES_VENV:-.venv}
export HF_HUB_OFFLINE=1
export CAPACITIES_TEST_NEEDS=all  # every need is installed above: a missing one fails, never skips
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
exec "$VENV/bin/python" -m pytest "$@"
