#!/usr/bin/env bash
# Install the dashboard's packages and open it on the shipped sample data (http://localhost:8501).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
exec .venv/bin/streamlit run dashboard.py "$@"
