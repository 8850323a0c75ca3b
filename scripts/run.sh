#!/usr/bin/env bash
# Install the dashboard's packages and open it on the shipped sample data (http://localhost:8501).
set -euo pipefail
cd "$(dirname "$0")/.."
# A Chinese font for the printable PDF notice (Debian's fonts-noto-cjk), where this machine can install it.
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  if [ "$(id -u)" -eq 0 ]; then (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null) || true
  elif command -v sudo >/dev/null 2>&1; then (sudo apt-get update -qq && sudo apt-get install -y -qq fonts-noto-cjk >/dev/null) || true
  fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
exec .venv/bin/streamlit run dashboard.py "$@"
