#!/usr/bin/env bash
# Install, then start the app on http://localhost:8501. On the first visit the app builds the index
# of the bundled corpus with a progress bar; later starts only process new or changed documents.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VENV=${CAPACITIES_VENV:-.venv}
export HF_HUB_OFFLINE=1
echo "[start] ouvrez l'adresse affichée ci-dessous (http://localhost:8501 par défaut) : l'index se construit à la première visite"
exec "$VENV/bin/streamlit" run app.py "$@"  # e.g. --server.port 8502
