"""Build tiny organisations on disk for tests: a scheme, an indicator table, a ledger.

Values in the tests are worked out by hand from the rule text; these helpers
only write the offices' tables so the engine can read them the normal way.
"""
from __future__ import annotations

import csv
from pathlib import Path

import perfcore
from perfcore.ingest.sources import load_source

EVENT_COLS = ["编号", "日期", "单位", "指标", "情形", "来源层级", "次数", "标准分", "加重情形", "角色", "问责人次",
              "减免依据", "减免方式", "减免理由", "问题标识", "事项标识", "状态", "说明", "批示层级"]
UNIT_COLS = ["单位", "系列", "层级", "主要领导", "分管领导"]
ASSIGNMENT_COLS = ["单位", "指标", "任务项", "目标值", "完成值", "上年完成值"]
VETO_COLS = ["单位", "类别", "日期", "说明", "当事人"]
RANK_COLS = ["单位", "排名", "名次", "参评数"]

BASE_SCHEME = """
[scheme]
year = {year}
scale = 100
[indicators]
total = {total}
[[component]]
key = "indicator"
label = "指标"
source = "indicators"
{extra}
"""

THRESHOLD_GRADES = """
[[grade]]
name = "优秀"
min = 90
[[grade]]
name = "良好"
min = 80
max = 90
[[grade]]
name = "合格"
min = 70
max = 80
[[grade]]
name = "不合格"
max = 70
"""


def write_csv(path: Path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])


def event(eid, unit, target, rule, date="2025-05-01", count=1, amount=None, level="区", aggravation="", role="",
          accountable=0, code="", mode="", reason="", problem="", matter="", status="已审定", text="说明", instruction=""):
    return [eid, date, unit, target, rule, level, count, amount, aggravation, role, accountable, code, mode, reason,
            problem, matter, status, text, instruction]


def _columns(header: list, rows) -> list:
    """As many of the header's columns as the longest row fills (rows are padded to it)."""
    return header[:max((len(r) for r in rows), default=0)]


def _padded(rows, width: int) -> list:
    return [list(r) + [""] * (width - len(r)) for r in rows]


class Org:
    """An organisation folder under tmp_path/src/<name>."""

    def __init__(self, root: Path, name: str = "测试单位"):
        self.root = root / "src"
        self.folder = self.root / name
        self.name = name
        self.units = [["甲", "一系列"], ["乙", "一系列"], ["丙", "二系列"]]

    def year(self, year: int, scheme: str, indicators: list, events: list = (), scores: list = (),
             evaluations: list = (), assignments: list = (), vetoes: list = (), ranks: list = ()):
        d = self.folder / str(year)
        d.mkdir(parents=True, exist_ok=True)
        (d / "考评方案.toml").write_text(scheme, encoding="utf-8")
        write_csv(d / "指标任务分解表.csv", ["项目", "一级指标", "二级指标名称", "分值", "计分方式", "可超分"], indicators)
        if events:
            write_csv(d / "扣分台账.csv", EVENT_COLS, events)
        if scores:
            write_csv(d / "指标评分.csv", ["单位", "指标", "得分"], scores)
        if evaluations:
            write_csv(d / "评议得分.csv", ["单位", "类别", "项目", "得分", "满分"], evaluations)
        if assignments:
            header = _columns(ASSIGNMENT_COLS, assignments) if max(map(len, assignments)) > 5 else ASSIGNMENT_COLS[:5]
            write_csv(d / "指标任务.csv", header, _padded(assignments, len(header)))
        if vetoes:
            header = _columns(VETO_COLS, vetoes) if max(map(len, vetoes)) > 4 else VETO_COLS[:4]
            write_csv(d / "一票否决.csv", header, _padded(vetoes, len(header)))
        if ranks:
            write_csv(d / "外部排名.csv", RANK_COLS, _padded(ranks, len(RANK_COLS)))
        return self

    def load(self, db: Path | None = None):
        header = _columns(UNIT_COLS, self.units) if max(map(len, self.units)) > 2 else UNIT_COLS[:2]
        write_csv(self.folder / "单位名单.csv", header, _padded(self.units, len(header)))
        con = perfcore.connect(db or (self.root.parent / "t.duckdb"))
        load_source(con, self.root)
        return con


def scheme(year=2025, total=10, extra="", grades=THRESHOLD_GRADES):
    return BASE_SCHEME.format(year=year, total=total, extra=extra) + grades


def score_of(con, org, year, unit, target):
    ys = perfcore.score(con, org, year)
    t = ys.targets
    return float(t[(t["unit"] == unit) & (t["target"] == target)]["score"].iloc[0])


def result_of(con, org, year, unit):
    ys = perfcore.score(con, org, year)
    return ys.results.set_index("unit").loc[unit]
