# Sourced by scripts/server and scripts/test: create .venv with Python 3.11 on first use and install into it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
# Re-install only when pyproject.toml changed since the last install (pip's cache makes the first one fast).
ensure_installed() {
  local extras="$1" stamp=".venv/.installed-$1"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q -e ".[${extras}]"
    touch "$stamp"
  fi
}
