"""A scaled evaluation for benchmarks: by default 2,000 units, 100 indicators, 10 years, 1,000,000 events.

    build(path, units=2000, events=1_000_000)

Written through perfcore's own writer (`sources.write`: one transaction, audited, versioned
rows), without the per-cell validation of a folder load, which is not what is measured here.
Deterministic: numpy's generator with a fixed seed. The events use every step of the
pipeline: fixed, ranged and capped rules, multipliers by source level and accountability,
mitigations, the automatic item 9, problem keys (de-duplication) and matter keys.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

import perfcore

ORG = "规模测试"
UNITS, INDICATORS, YEARS, EVENTS = 2000, 100, 10, 1_000_000
FIRST_YEAR = 2016

SCHEME = """
[scheme]
org = "规模测试"
year = {year}
scale = 1000
[indicators]
total = 1000
[[component]]
key = "indicator"
label = "指标考核得分"
source = "indicators"
scale_to = 1000
weight = 0.6
[[component]]
key = "public"
label = "公众评议得分"
source = "evaluation"
name = "公众评议"
full = 100
scale_to = 1000
weight = 0.4
[[component]]
key = "incentive"
label = "正向激励得分"
source = "pool"
name = "正向激励"
[[component]]
key = "inspection"
label = "察访核验扣分"
source = "pool"
name = "察访核验"
weight = -1.0
[[pool]]
name = "察访核验"
kind = "扣分"
exempt_if_indicator_deducted = true
[[pool]]
name = "正向激励"
kind = "加分"
cap = 30
[[rule]]
name = "工作落实不力"
amount = 5
[[rule]]
name = "指标扣分"
amount = 0.5
[[rule]]
name = "指标任务未完成"
range = [1, 10]
[[rule]]
name = "自行察访核验问责"
kind = "加分"
amount = 1
cap = 10
[[rule]]
name = "表彰"
kind = "加分"
amount = 3
[[multiplier]]
name = "省市发现双倍"
factor = 2
source_level = ["省", "市"]
targets = ["察访核验"]
[[multiplier]]
name = "区级已问责减半"
factor = 0.5
source_level = ["区"]
accountable = true
targets = ["察访核验"]
[mitigation]
auto_exempt_code = 9
[mitigation.codes]
7 = "及时整改"
9 = "在绩效评估指标中已作相应扣分"
[grading]
mode = "threshold"
pool = "series"
[[grade]]
name = "优秀"
min = 900
[[grade]]
name = "良好"
min = 850
max = 900
[[grade]]
name = "合格"
min = 750
max = 850
[[grade]]
name = "不合格"
max = 750
[[consequence]]
name = "连续两年系列末位"
lowest = true
years = 2
"""


def build(path, units: int = UNITS, events: int = EVENTS, years: int = YEARS, indicators: int = INDICATORS) -> None:
    """Write the scaled organisation into a fresh database file."""
    from perfcore.ingest.sources import OrgData, write
    rng = np.random.default_rng(7)
    unit_rows = pd.DataFrame({"org": ORG, "unit": [f"单位{i:05d}" for i in range(units)],
                              "series": [f"系列{i % 8}" for i in range(units)]})
    names = [f"指标{i:03d}" for i in range(indicators)]
    per_year = events // years
    frames = {"units": unit_rows, "schemes": [], "indicators": [], "events": [], "evaluations": []}
    for k in range(years):
        year = FIRST_YEAR + k
        frames["schemes"].append({"org": ORG, "year": year, "scheme_toml": SCHEME.format(year=year)})
        frames["indicators"].append(pd.DataFrame({
            "org": ORG, "year": year, "indicator": names, "category": "共同性", "points": 1000.0 / indicators,
            "mode": "deduct_from_full", "allow_overflow": False, "ord": range(indicators)}))
        ev_units = unit_rows["unit"].to_numpy()[rng.integers(0, units, per_year)]
        kind = rng.choice(5, per_year, p=[0.25, 0.55, 0.05, 0.05, 0.10])
        rule = np.array(["工作落实不力", "指标扣分", "指标任务未完成", "自行察访核验问责", "表彰"])[kind]
        target = np.where(kind == 0, "察访核验", np.where(kind == 4, "正向激励", np.array(names)[rng.integers(0, indicators, per_year)]))
        base = np.where(kind == 2, rng.integers(1, 11, per_year).astype(float), np.nan)
        days = rng.integers(0, 360, per_year)
        ev = pd.DataFrame({
            "org": ORG, "year": year, "event_id": [f"{year}-{i:07d}" for i in range(per_year)],
            "date": pd.to_datetime(dt.date(year, 1, 1)) + pd.to_timedelta(days, unit="D"),
            "unit": ev_units, "target": target, "rule": rule,
            "source_level": rng.choice(["区", "市", "省"], per_year, p=[0.7, 0.25, 0.05]),
            "count": rng.choice([1.0, 1.0, 2.0, 3.0], per_year), "base_amount": base,
            "accountable": rng.choice([0, 0, 0, 1], per_year),
            "mitigation_code": np.where(rng.random(per_year) < 0.03, 7, None),
            "problem_key": np.where(rng.random(per_year) < 0.2, [f"P{x}" for x in rng.integers(0, 5000, per_year)], None),
            "matter_key": np.where(kind == 4, [f"M{x}" for x in rng.integers(0, 3, per_year)], None),
            "status": "已审定", "description": "规模测试", "version": 1})
        ev["mitigation_mode"] = np.where(ev["mitigation_code"].notna(), "reduce", None)
        ev["mitigation_reason"] = np.where(ev["mitigation_code"].notna(), "及时整改", None)
        frames["events"].append(ev)
        frames["evaluations"].append(pd.DataFrame({
            "org": ORG, "year": year, "unit": unit_rows["unit"], "kind": "公众评议", "aspect": "",
            "score": np.round(rng.normal(85, 4, units).clip(0, 100), 2), "max_score": 100.0}))
    data = OrgData(org=ORG, source="bench/scaled.py")
    data.frames = {name: (pd.concat(parts, ignore_index=True) if isinstance(parts, list) and parts and
                          isinstance(parts[0], pd.DataFrame) else pd.DataFrame(parts))
                   for name, parts in frames.items()}
    data.schemes = {FIRST_YEAR + k: None for k in range(years)}
    con = perfcore.connect(path)
    try:
        write(con, [data], who="bench", via="bench")
    finally:
        con.close()
