"""Frames the analysis screens show (perfcore.insight results as tables and waterfall steps). Pure pandas.

Every step of a waterfall here adds up to the difference it explains, to the cent: the steps are the
analysis' own lines summed per indicator (insight.lines.by_indicator).
"""
from __future__ import annotations

import pandas as pd

from ..insight import lines as lines_mod
from .i18n import label
from .i18n import t as i18n_t      # `t` names a gap's target below

KIND_WORDS = {"scheme": ("方案调整", "scheme"), "start": ("起始分", "starting score"), "record": ("记录", "record"),
              "limit": ("上下限", "floor or cap"), "evaluation": ("评议", "evaluation"), "rescale": ("折算", "rescaling"),
              "cap": ("封顶", "component cap"), "rounding": ("四舍五入", "rounding")}
STATE_WORDS = {"change": {"new": ("本年新增", "new this year"), "gone": ("上年有、本年无", "last year only"),
                          "changed": ("变化", "changed")},
               "compare": {"new": ("仅前者", "first unit only"), "gone": ("仅后者", "second unit only"),
                           "changed": ("两者不同", "differs")}}
FLAG_WORDS = {"lowest": ("可能末等", "lowest grade"), "down": ("可能降等", "worse grade"),
              "repeat": ("可能连续两年触发问责", "consecutive-years rule"), "behind": ("进度明显滞后", "behind schedule")}


def _w(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def change_steps(start: float | None, end: float, lines: pd.DataFrame, lang: str, start_label: str, end_label: str,
                 top: int = 8) -> pd.DataFrame:
    """Waterfall steps from one composite to another: the start, the lines summed per indicator (largest first,
    the rest together), the end. The relative steps add up to end − start exactly."""
    steps = lines_mod.by_indicator(lines, lang, top=top)
    rows = [{"label": start_label, "value": 0.0 if start is None else float(start), "kind": "absolute"}]
    rows += [{"label": r.label, "value": float(r.value), "kind": "relative"} for r in steps.itertuples()]
    rows.append({"label": end_label, "value": float(end), "kind": "total"})
    return pd.DataFrame(rows)


def line_table(lines: pd.DataFrame, lang: str, analysis: str = "change") -> pd.DataFrame:
    """The lines as the screen lists them: what, kind, record, date, contribution, note."""
    states = STATE_WORDS[analysis]
    what = lines["indicator"].where(lines["indicator"].notna(),
                                    lines["component_label_en" if lang == "en" else "component_label"])
    kind = [f"{_w(KIND_WORDS.get(k, (k, k)), lang)}·{_w(states.get(s, (s, s)), lang)}" if k not in ("scheme", "rounding")
            else _w(KIND_WORDS[k], lang) for k, s in zip(lines["kind"], lines["state"])]
    return pd.DataFrame({"what": what.fillna("").to_numpy(), "kind": kind, "event_id": lines["event_id"].fillna("").to_numpy(),
                         "date": [d.strftime("%Y-%m-%d") if pd.notna(d) else "" for d in pd.to_datetime(lines["date"])],
                         "contribution": lines["contribution"].to_numpy(dtype=float),
                         "note": lines["note_en" if lang == "en" else "note"].to_numpy()})


def _gives(key: str, target: dict, grade_labels: dict | None) -> str:
    """What a target gives: a rank, or a grade by its name in the page's language."""
    to = target["to"]
    return str(grade_labels.get(to, to) if key == "next_grade" and grade_labels else to)


def gap_steps(gap, lang: str, grade_labels: dict | None = None) -> pd.DataFrame:
    """A ladder from the unit's composite to each target it could reach (next rank, series rank, grade),
    nearest first: each step the extra points from the one before. `grade_labels` (grade → its name in
    `lang`) names the grade reached."""
    targets = []
    words = {"next_rank": ("上一名次", "next rank"), "next_series_rank": ("系列上一名次", "next series rank"),
             "next_grade": ("上一等次", "next grade")}
    for key, pair in words.items():
        t = getattr(gap, key)
        if t is not None:
            to = _gives(key, t, grade_labels)
            targets.append((t["points"], f"{_w(pair, lang)}（{to}）" if lang == "zh" else f"{pair[1]} ({to})"))
    rows = [{"label": "现在" if lang == "zh" else "Now", "value": float(gap.composite), "kind": "absolute"}]
    done = 0.0
    for points, name in sorted(targets):
        rows.append({"label": name, "value": round(points - done, 6), "kind": "relative"})
        done = points
    return pd.DataFrame(rows)


def gap_rows(gap, lang: str, grade_labels: dict | None = None) -> pd.DataFrame:
    """One row per target: what, points needed, the composite to reach, the rank or grade it gives (a grade
    by `grade_labels`, its name in `lang`), against whom."""
    words = {"next_rank": ("上一名次", "Next rank"), "next_series_rank": ("系列上一名次", "Next series rank"),
             "next_grade": ("上一等次", "Next grade")}
    rows = []
    for key, pair in words.items():
        t = getattr(gap, key)
        if t is None:
            why = gap.reasons.get(key, ("", ""))
            rows.append({"target": _w(pair, lang), "points": None, "reach": None, "to": "", "against": _w(why, lang)})
            continue
        against = t.get("against") or i18n_t("list_sep", lang).join(t.get("level_with") or [])
        if key == "next_grade" and t.get("boundary") == "threshold":
            against = (f"等次下限 {t['threshold']:g}" if lang == "zh" else f"grade threshold {t['threshold']:g}")
        elif key == "next_grade":
            tie = t.get("tie_break_wins")
            against = f"{against}（{'比较项占优，持平即可' if tie else '比较项不占优，须多 0.01 分'}）" if lang == "zh" else \
                f"{against} ({'tie-breaks favour it: level is enough' if tie else 'tie-breaks do not: one cent more'})"
        rows.append({"target": _w(pair, lang), "points": t["points"], "reach": t["reach"], "to": _gives(key, t, grade_labels),
                     "against": against})
    return pd.DataFrame(rows)


def equivalents_table(target: dict | None, lang: str) -> pd.DataFrame:
    """A target's points in each component's own terms, with the room the unit has left there."""
    if not target:
        return pd.DataFrame(columns=["component", "points", "room", "enough"])
    return pd.DataFrame([{"component": e["label_en"] if lang == "en" else e["label"], "points": e["points"],
                          "room": e["room"], "enough": e["enough"]} for e in target["equivalents"]])


def flags_text(flags: list, lang: str) -> str:
    return i18n_t("list_sep", lang).join(_w(FLAG_WORDS.get(f, (f, f)), lang) for f in flags)


def grade_label_map(scheme, lang: str) -> dict:
    return {g.name: label(g.name, g.label_en, lang) for g in scheme.grades}
