#!/usr/bin/env bash
# Install the dashboard's packages and open it on the shipped sample data (http://localhost:8501).
# Run from anywhere: it works in the repository, so .streamlit/config.toml (no usage statistics,
# the upload limit) always applies.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n== %s\n' "$*"; }
# A Chinese font for the printable PDF notice (Debian's fonts-noto-cjk), where this machine can install it.
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  say "安装中文字体（打印通报用） / installing a Chinese font for the printed notice"
  if [ "$(id -u)" -eq 0 ]; then (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null) || true
  elif command -v sudo >/dev/null 2>&1; then (sudo apt-get update -qq && sudo apt-get install -y -qq fonts-noto-cjk >/dev/null) || true
  fi
fi
if [ ! -x .venv/bin/python ]; then
  say "创建 Python 环境 .venv / creating the Python environment .venv"
  python3 -m venv .venv
fi
say "安装依赖（首次约需几分钟） / installing the packages (a few minutes the first time)"
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
DB="${PERFCORE_DB:-data/perfcore.duckdb}"
if [ ! -e "$DB" ]; then
  say "用示例数据建库 $DB / building the database from the sample data"
  .venv/bin/python -m perfcore init --db "$DB"
fi
say "启动仪表盘：http://localhost:8501 （演示账号见 README 或登录页） / starting the dashboard (demo accounts: README or the sign-in page)"
exec .venv/bin/streamlit run dashboard.py "$@"
