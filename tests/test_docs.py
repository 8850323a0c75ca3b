"""Docs stay honest: every scheme key the parser reads is documented, and only those."""
from __future__ import annotations

import re
from pathlib import Path

from perfcore.engine import scheme as scheme_mod

ROOT = Path(__file__).resolve().parent.parent


def _keys_read_by_parser() -> set[str]:
    seen: set[str] = set()
    original = scheme_mod._Reader.get

    def record(self, key, *args, **kwargs):
        path = re.sub(r"\[\d+\]", "", self.path)
        if path.startswith("tier_table.tiers"):
            return original(self, key, *args, **kwargs)   # tier rows are documented as a whole
        seen.add(f"{path}.{key}" if path else key)
        return original(self, key, *args, **kwargs)

    scheme_mod._Reader.get = record
    try:
        for path in sorted((ROOT / "data").glob("*/*/考评方案.toml")):
            scheme_mod.parse(path.read_text(encoding="utf-8"), str(path))
    finally:
        scheme_mod._Reader.get = original
    return seen | {"roles"}


def test_every_scheme_key_is_documented_and_nothing_else():
    text = (ROOT / "docs" / "scheme.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", text, flags=re.M))
    assert _keys_read_by_parser() == documented


def test_readme_commands_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for script in re.findall(r"bash (scripts/\S+\.sh)", readme):
        assert (ROOT / script).exists(), script
    assert "bash scripts/run.sh" in readme and "bash scripts/test.sh" in readme


def _blocks(name: str, language: str) -> list[str]:
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_every_documented_command_is_accepted_by_the_parser():
    import shlex

    from perfcore.cli import _parser
    commands = [line.split("#")[0].strip() for block in _blocks("cli.md", "bash") for line in block.splitlines()]
    commands = [c for c in commands if c.startswith(".venv/bin/python -m perfcore")]
    assert len(commands) >= 20
    parser = _parser()
    for command in commands:
        parser.parse_args(shlex.split(command)[3:])        # argparse exits (SystemExit) on an unknown option


def test_the_documented_library_calls_run(db_copy):
    blocks = _blocks("cli.md", "python")
    assert len(blocks) >= 2
    scope: dict = {}
    for code in blocks:                  # one after another, as a reader would run them
        exec(compile(code.replace('"data/perfcore.duckdb"', repr(str(db_copy))), "docs/cli.md", "exec"), scope)
    con = scope["con"]
    assert con.execute("SELECT status FROM events WHERE org='示例区' AND year=2025 AND event_id='2025-0083'"
                       ).fetchone()[0] == "已撤销"
    assert scope["sim"].run(weights={"indicator": 0.5, "public": 0.5})["composite"].notna().all()
    assert con.execute("SELECT decision, decided_by FROM appeals WHERE event_id = 'F2025-030'").fetchone() == ("upheld", "王某")
    assert set(scope["visible"].ledger(con, scope["me"], "示例市妇联", 2025)["unit"]) == {"权益部"}
