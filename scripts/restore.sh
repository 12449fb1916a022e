#!/usr/bin/env bash
# Restore an archive written by scripts/backup.sh: scripts/restore.sh FILE [--force]
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${CAPACITIES_VENV:-.venv}/bin/python" -m capacities restore "$@"
