"""From recorded events to the amount each one contributes (before the indicator floor).

The pipeline follows DOMAIN.md's recommended order, one step a column, so the
trace can show what each step did to each event:

1. base: the rule's amount x count, the entered amount for ranged rules (R5),
   or the count-threshold formula (R8);
2. role factor (R7);
3. mitigation or exemption (R14), including the automatic item 9;
4. multipliers for higher-level findings and self-accountability (R9, R11);
5. one problem charged once at the higher standard (R13), one matter counted
   at its highest (R16);
6. per-rule caps (R18).

Synthetic lines for completion-ratio tiers (R21) and the above-average
indicator-count bonus (R20) are appended with the same columns. The floor and
ceiling of each indicator or pool (R6, R17) are applied in `scoring`.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .scheme import Scheme

COLUMNS = ["event_id", "date", "unit", "target", "rule", "source_level", "count", "unit_amount", "base",
           "role_factor", "mitigation_factor", "mitigation_code", "mitigation_auto", "multiplier", "multipliers",
           "signed", "dedup", "superseded_by", "after_dedup", "rule_capped", "final", "veto", "synthetic"]


def _lit(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(_lit(v) for v in values)})"


def _rules_frame(scheme: Scheme) -> pd.DataFrame:
    rows = []
    for r in scheme.rules:
        thr = r.threshold or {}
        rows.append({
            "rule": r.name, "sign": r.sign(),
            "mode": "fixed" if r.amount is not None else ("range" if r.range else "threshold"),
            "amount": r.amount, "upto": thr.get("upto"), "upto_amount": thr.get("amount"),
            "each_beyond": thr.get("each_beyond"), "thr_all": thr.get("mode") == "all",
            "cap": r.cap, "veto": r.veto})
    frame = pd.DataFrame(rows, columns=["rule", "sign", "mode", "amount", "upto", "upto_amount", "each_beyond",
                                        "thr_all", "cap", "veto"])
    return frame.astype({"sign": "int64", "amount": "float64", "upto": "float64", "upto_amount": "float64",
                         "each_beyond": "float64", "thr_all": "bool", "cap": "float64", "veto": "bool"})


def _multiplier_sql(scheme: Scheme) -> tuple[str, str]:
    """SQL for the combined multiplier and the list of those that applied."""
    if not scheme.multipliers:
        return "1.0", "''"
    conds = []
    for m in scheme.multipliers:
        parts = ["TRUE"]
        if m.source_level:
            parts.append(_in("source_level", m.source_level))
        if m.aggravation:
            parts.append(_in("coalesce(aggravation, '')", m.aggravation))
        if m.accountable is not None:
            parts.append(f"(coalesce(accountable, 0) > 0) = {_lit(m.accountable)}")
        if m.targets:
            parts.append(_in("target", m.targets))
        conds.append((" AND ".join(parts), m))
    factors = [f"CASE WHEN {c} THEN {m.factor!r} ELSE 1.0 END" for c, m in conds]
    if scheme.multiplier_combine == "max":
        combined = f"greatest({', '.join(factors)})" if len(factors) > 1 else factors[0]
    else:
        combined = " * ".join(factors)
    names = [f"CASE WHEN {c} THEN {_lit(m.name + ' ×' + format(m.factor, 'g'))} END" for c, m in conds]
    return combined, f"concat_ws('；', {', '.join(names)})"


def _run(con, scheme: Scheme, org: str, year: int, unit: str | None, excluded: tuple, outer: str) -> pd.DataFrame:
    """Run the pipeline; `outer` selects from its per-event relation `pipeline`."""
    rules = _rules_frame(scheme)
    roles = pd.DataFrame({"role": list(scheme.roles), "role_factor": list(scheme.roles.values())},
                         columns=["role", "role_factor"]).astype({"role_factor": "float64"})
    mult, mult_names = _multiplier_sql(scheme)
    pools = {p.name for p in scheme.pools}
    auto_pools = [p.name for p in scheme.pools if p.exempt_if_indicator_deducted]
    where = ["e.org = $org", "e.year = $year", _in("e.status", scheme.counted_statuses or ("-",))]
    params = {"org": org, "year": year}
    if unit is not None:
        where.append("e.unit = $unit")
        params["unit"] = unit
    if excluded:
        where.append(f"NOT {_in('e.event_id', excluded)}")
    auto_code = scheme.auto_exempt_code
    auto_join = "FALSE"
    if auto_pools and auto_code is not None:
        # R14 item 9: a pool deduction is exempt when the same problem was already
        # deducted inside an indicator for the same unit.
        auto_join = (f"({_in('e.target', auto_pools)} AND e.problem_key IS NOT NULL AND EXISTS ("
                     f"SELECT 1 FROM ev_all i WHERE i.unit = e.unit AND i.problem_key = e.problem_key "
                     f"AND NOT {_in('i.target', pools or ('-',))} AND i.sign < 0))")
    matter_factor = "CASE WHEN k.key_rank = 1 THEN 1.0 ELSE 0.0 END"
    if scheme.matter_dedup == "diminishing":
        arr = ", ".join(repr(float(x)) for x in scheme.diminishing)
        matter_factor = f"coalesce(list_extract([{arr}], k.key_rank::INTEGER), 0.0)"
    elif scheme.matter_dedup == "none":
        matter_factor = "1.0"
    problem_on = "TRUE" if scheme.problem_dedup == "highest" else "FALSE"
    con.register("_rules", rules)
    con.register("_roles", roles)
    try:
        sql = f"""
        WITH ev_all AS (
            SELECT e.*, e.rowid AS rid, r.sign FROM events e JOIN _rules r ON e.rule = r.rule
            WHERE {' AND '.join(where)}
        ),
        base AS (
            SELECT e.rid, e.event_id, e.date, e.unit, e.target, e.rule, e.source_level, e.count, e.problem_key, e.matter_key,
                   r.sign, r.cap, r.veto,
                   CASE r.mode WHEN 'range' THEN e.base_amount WHEN 'fixed' THEN r.amount ELSE r.upto_amount END AS unit_amount,
                   CASE r.mode
                     WHEN 'fixed' THEN r.amount * e.count
                     WHEN 'range' THEN e.base_amount * e.count
                     ELSE CASE WHEN e.count <= r.upto THEN r.upto_amount
                               WHEN r.thr_all THEN e.count * r.each_beyond
                               ELSE r.upto_amount + (e.count - r.upto) * r.each_beyond END
                   END AS base,
                   coalesce(ro.role_factor, 1.0) AS role_factor,
                   {auto_join} AS mitigation_auto,
                   e.mitigation_mode, e.mitigation_code,
                   {mult} AS multiplier, {mult_names} AS multipliers
            FROM ev_all e JOIN _rules r ON e.rule = r.rule LEFT JOIN _roles ro ON e.role = ro.role
        ),
        mitigated AS (
            SELECT *,
                   CASE WHEN mitigation_auto THEN {scheme.exempt_factor!r}
                        WHEN mitigation_mode = 'exempt' THEN {scheme.exempt_factor!r}
                        WHEN mitigation_mode = 'reduce' THEN {scheme.reduce_factor!r}
                        ELSE 1.0 END AS mitigation_factor,
                   CASE WHEN mitigation_auto THEN {_lit(auto_code)}::INTEGER ELSE mitigation_code END AS code
            FROM base
        ),
        signed AS (
            SELECT *, sign * base * role_factor * mitigation_factor * multiplier AS signed FROM mitigated
        ),
        keyed AS (
            -- only events sharing a problem key (deductions) or a matter key (bonuses) need ranking
            SELECT rid, row_number() OVER w AS key_rank, first_value(event_id) OVER w AS key_first
            FROM signed
            WHERE ({problem_on} AND sign < 0 AND problem_key IS NOT NULL) OR (sign > 0 AND matter_key IS NOT NULL)
            WINDOW w AS (PARTITION BY unit, target, CASE WHEN sign < 0 THEN 'P' || problem_key ELSE 'M' || matter_key END
                         ORDER BY abs(signed) DESC, date, event_id)
        ),
        deduped AS (
            SELECT s.*,
                   CASE WHEN k.key_rank > 1 THEN (CASE WHEN s.sign < 0 THEN 'problem' ELSE 'matter' END) END AS dedup,
                   CASE WHEN k.key_rank > 1 THEN k.key_first END AS superseded_by,
                   s.signed * CASE WHEN k.key_rank IS NULL THEN 1.0
                                   WHEN s.sign < 0 THEN (CASE WHEN k.key_rank > 1 THEN 0.0 ELSE 1.0 END)
                                   ELSE {matter_factor} END AS after_dedup
            FROM signed s LEFT JOIN keyed k USING (rid)
        ),
        used AS (
            -- per-rule caps: what earlier events of the same unit and rule already used
            SELECT rid, coalesce(sum(abs(after_dedup)) OVER (PARTITION BY unit, rule ORDER BY date, event_id
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0.0) AS used
            FROM deduped WHERE cap IS NOT NULL
        ),
        capped AS (
            SELECT d.*,
                   CASE WHEN d.cap IS NULL THEN d.after_dedup
                        ELSE d.sign * greatest(0.0, least(abs(d.after_dedup), d.cap - u.used)) END AS final
            FROM deduped d LEFT JOIN used u USING (rid)
        )
        , pipeline AS (
        SELECT event_id, date, unit, target, rule, source_level, count, unit_amount, base, role_factor,
               mitigation_factor, code AS mitigation_code, mitigation_auto, multiplier, multipliers, signed,
               dedup, superseded_by, after_dedup, abs(final - after_dedup) > 1e-12 AS rule_capped, final,
               veto AND mitigation_factor > 0 AS veto, FALSE AS synthetic
        FROM capped)
        """ + outer
        return con.execute(sql, params).df()
    finally:
        con.unregister("_rules")
        con.unregister("_roles")


def event_amounts(con, scheme: Scheme, org: str, year: int, unit: str | None = None,
                  excluded: tuple = ()) -> pd.DataFrame:
    """Every counted event of a year with its amount after each pipeline step.

    `excluded` lists event ids switched off (what-if); `unit` limits to one unit.
    """
    frame = _run(con, scheme, org, year, unit, excluded, "SELECT * FROM pipeline ORDER BY unit, target, date, event_id")
    synthetic = synthetic_lines(con, scheme, org, year, unit)
    if not synthetic.empty:
        frame = pd.concat([frame, synthetic], ignore_index=True)
    return frame


def tier_points(ratio: float, tiers) -> float:
    """Points for one completion ratio under a tier table (R21, bounds per A6)."""
    for t in tiers:
        if t.min is None or ratio > t.min + 1e-12 or (t.inclusive and ratio >= t.min - 1e-12):
            return t.points
    return 0.0


def count_bonus_items(n_items: int, average: float, how: str) -> int:
    """R20 / A7: how many items above the average earn the bonus."""
    if n_items <= average:
        return 0
    return n_items - math.floor(average) if how == "floor" else math.floor(n_items - average)


def synthetic_lines(con, scheme: Scheme, org: str, year: int, unit: str | None = None) -> pd.DataFrame:
    """Lines for completion-ratio tiers and the above-average bonus, from assignments."""
    rules = [r for r in scheme.indicator_rules if r.ratio_tiers or r.count_bonus_per_item]
    if not rules:
        return pd.DataFrame(columns=COLUMNS)
    assign = con.execute("SELECT unit, indicator, item, target_value, actual_value FROM assignments "
                         "WHERE org = ? AND year = ? AND NOT retired ORDER BY unit, indicator, item", [org, year]).df()
    rows = []
    date = pd.Timestamp(year=year, month=12, day=31)
    for ir in rules:
        part = assign[assign["indicator"] == ir.indicator]
        if ir.ratio_tiers:
            tiers = scheme.tier_tables[ir.ratio_tiers]
            for r in part.itertuples():
                if unit is not None and r.unit != unit:
                    continue
                if pd.isna(r.actual_value) or pd.isna(r.target_value):
                    continue
                ratio = r.actual_value / r.target_value
                pts = tier_points(ratio, tiers)
                rows.append(_synthetic(f"完成率:{r.item}", date, r.unit, ir.indicator, ir.ratio_tiers, pts,
                                       f"{r.item}：完成 {r.actual_value:g}/{r.target_value:g} = {ratio:.2%}"))
        if ir.count_bonus_per_item:
            counts = part.groupby("unit")["item"].count()
            units_all = con.execute("SELECT count(*) FROM units WHERE org = ? AND NOT retired AND (first_year IS NULL OR first_year <= ?) "
                                    "AND (last_year IS NULL OR last_year >= ?)", [org, year, year]).fetchone()[0]
            if not units_all:
                continue
            average = counts.sum() / units_all
            for u, n in counts.items():
                if unit is not None and u != unit:
                    continue
                extra = count_bonus_items(int(n), average, ir.count_average)
                if extra:
                    rows.append(_synthetic("承担指标数", date, u, ir.indicator, "承担指标数高于平均数",
                                           extra * ir.count_bonus_per_item,
                                           f"承担 {n} 项，平均 {average:.2f} 项，多 {extra} 项 × {ir.count_bonus_per_item:g}"))
    return pd.DataFrame(rows, columns=COLUMNS + ["detail"])


def _synthetic(event_id, date, unit, target, rule, points, detail) -> dict:
    return {"event_id": event_id, "date": date, "unit": unit, "target": target, "rule": rule, "source_level": "本级",
            "count": 1.0, "unit_amount": abs(points), "base": abs(points), "role_factor": 1.0, "mitigation_factor": 1.0,
            "mitigation_code": None, "mitigation_auto": False, "multiplier": 1.0, "multipliers": "", "signed": points,
            "dedup": None, "superseded_by": None, "after_dedup": points, "rule_capped": False, "final": points,
            "veto": False, "synthetic": True, "detail": detail}


def target_totals(con, scheme: Scheme, org: str, year: int, units: list, targets: list,
                  excluded: tuple = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per cell of the unit x target grid: net amount, deductions, bonuses, number of events; and veto events.

    `cell` is unit position x len(targets) + target position. One aggregate query
    inside DuckDB with integer keys, so a million events never leave it; the few
    veto events ride along as text.
    """
    n_targets = len(targets)
    con.register("_unit_pos", pd.DataFrame({"unit": list(units), "upos": range(len(units))}))
    con.register("_target_pos", pd.DataFrame({"target": list(targets), "tpos": range(n_targets)}))
    try:
        totals = _run(con, scheme, org, year, None, excluded, f"""
            SELECT u.upos * {n_targets} + t.tpos AS cell, sum(final) AS net,
                   sum(CASE WHEN final < 0 THEN -final ELSE 0 END) AS deducted,
                   sum(CASE WHEN final > 0 THEN final ELSE 0 END) AS added, count(*) AS events
            FROM pipeline p JOIN _unit_pos u ON p.unit = u.unit JOIN _target_pos t ON p.target = t.target
            GROUP BY cell""")
    finally:
        con.unregister("_unit_pos")
        con.unregister("_target_pos")
    if any(r.veto for r in scheme.rules):   # only schemes with veto rules (S0's secrecy leak) need the second look
        vetoes = _run(con, scheme, org, year, None, excluded,
                      "SELECT unit, rule, event_id, date FROM pipeline WHERE veto ORDER BY unit, date")
    else:
        vetoes = pd.DataFrame(columns=["unit", "rule", "event_id", "date"])
    synthetic = synthetic_lines(con, scheme, org, year)
    if not synthetic.empty:
        u = pd.Index(list(units)).get_indexer(synthetic["unit"])
        t = pd.Index(list(targets)).get_indexer(synthetic["target"])
        f = synthetic["final"].astype(float)
        extra = pd.DataFrame({"cell": u * n_targets + t, "net": f, "deducted": (-f).clip(lower=0),
                              "added": f.clip(lower=0), "events": 1})[(u >= 0) & (t >= 0)]
        totals = pd.concat([totals, extra], ignore_index=True).groupby("cell", as_index=False).sum()
    return totals, vetoes


def cells_of(frame: pd.DataFrame, units: list, targets: list, target_col: str = "target") -> pd.Series:
    """Grid positions of rows keyed by unit and target names (-1 where unknown)."""
    u = pd.Index(list(units)).get_indexer(frame["unit"])
    t = pd.Index(list(targets)).get_indexer(frame[target_col])
    return pd.Series(np.where((u >= 0) & (t >= 0), u * len(targets) + t, -1), index=frame.index)
