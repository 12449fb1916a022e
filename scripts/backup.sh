#!/usr/bin/env bash
# Back up the index (and the corpus) to one archive: scripts/backup.sh [FILE] [--no-corpus]
# Same CAPACITIES_* settings as the app (CAPACITIES_DATA_DIR, CAPACITIES_CHROMA_URL...).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-backups/capacities-$(date +%Y%m%d-%H%M%S).tar.gz}"
shift || true
exec "${CAPACITIES_VENV:-.venv}/bin/python" -m capacities backup "$out" "$@"
