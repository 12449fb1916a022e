#!/usr/bin/env bash
# Install, index the bundled corpus (first run only; later runs are incremental), start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VENV=${CAPACITIES_VENV:-.venv}
export HF_HUB_OFFLINE=1
"$VENV/bin/capacities" ingest --progress || echo "[start] ⚠ certains documents n'ont pas pu être indexés (voir ci-dessus)."
if [ -f app.py ]; then
  exec "$VENV/bin/streamlit" run app.py --server.headless true --browser.gatherUsageStats false "$@"
else
  exec "$VENV/bin/capacities" ask -
fi
