"""Docs stay honest: every scheme key the parser reads is documented, and only those."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

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
        for path, text in example_files().items():   # the worked examples use the keys the samples do not
            if path.endswith("考评方案.toml"):
                scheme_mod.parse(text, path)
    finally:
        scheme_mod._Reader.get = original
    return seen | {"roles"}


FILE_BLOCK = re.compile(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", re.S)
EXPECT_BLOCK = re.compile(r"<!-- expect: (\S+) (\d{4}) -->\n((?:\|.*\n?)+)")


def example_files() -> dict:
    """The worked examples' files in docs/scheme.md: path → text."""
    text = (ROOT / "docs" / "scheme.md").read_text(encoding="utf-8")
    return dict(FILE_BLOCK.findall(text))


def example_expectations() -> list[tuple[str, int, list[dict]]]:
    """The results tables of the worked examples: (organisation, year, rows as header → cell)."""
    text = (ROOT / "docs" / "scheme.md").read_text(encoding="utf-8")
    out = []
    for org, year, table in EXPECT_BLOCK.findall(text):
        lines = [[c.strip() for c in line.strip().strip("|").split("|")] for line in table.strip().splitlines()]
        header, rows = lines[0], [r for r in lines[2:]]
        out.append((org, int(year), [dict(zip(header, r)) for r in rows]))
    return out


# the results tables' headers → result columns (a `key` in backticks is that column)
EXPECT_COLUMNS = {"综合得分": "composite", "名次": "rank", "系列名次": "series_rank", "等次": "grade",
                  "一票否决": "veto", "结果运用": "consequences"}


def test_the_worked_examples_score_as_the_docs_say(tmp_path):
    import perfcore
    from perfcore.ingest.sources import load_source
    files = example_files()
    expectations = example_expectations()
    assert {org for org, _, _ in expectations} == {"某市妇联", "某市直机关", "某区", "某县"}
    for path, text in files.items():
        target = tmp_path / "src" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    con = perfcore.connect(tmp_path / "docs.duckdb")
    load_source(con, tmp_path / "src")
    checked = 0
    for org, year, rows in expectations:
        results = perfcore.score(con, org, year).results.set_index("unit")
        assert list(results.index) == [r["单位"] for r in rows], org      # in rank order, as documented
        for r in rows:
            got = results.loc[r["单位"]]
            for header, cell in r.items():
                if header == "单位":
                    continue
                column = header.strip("`") if header.startswith("`") else \
                    "reward_amount" if "奖" in header else EXPECT_COLUMNS[header]
                value = got[column]
                if column == "consequences":
                    assert "；".join(value) == cell, (org, r["单位"])
                elif column == "veto":
                    assert bool(value) == (cell == "是"), (org, r["单位"])
                elif column == "grade":
                    assert value == cell, (org, r["单位"])
                else:
                    assert float(value) == pytest.approx(float(cell), abs=1e-9), (org, r["单位"], column)
                checked += 1
    assert checked > 80


def test_every_scheme_key_is_documented_and_nothing_else():
    text = (ROOT / "docs" / "scheme.md").read_text(encoding="utf-8")
    keys = text.split("\n## Keys\n", 1)[1].split("\n## ", 1)[0]     # the key table, not the score JSON's
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", keys, flags=re.M))
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
