"""The difference between two sets of composite lines (parts.composite_parts), line by line.

Lines are matched by what they are: an indicator's starting score with the same indicator's, a
record with the same record (task items keep their name from year to year; ledger records have
ids of their own year, so last year's are "gone" and this year's "new"), a limit with the same
indicator's limit, an evaluation with the same evaluation. A matched line counts at the weight it
had on the "from" side; what the other side's weighting or scaling changes is one `rescale` line
per component, so a changed weight or a changed indicator table shows as itself, not as a change
of every line.

The result's `contribution` is in whole cents (the scheme's decimals) and adds up to the
difference of the two composites exactly; `exact` keeps the unrounded value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .parts import KIND_ORDER, in_cents

COLUMNS = ["component", "component_label", "component_label_en", "indicator", "kind", "state", "side", "event_id",
           "date", "rule", "contribution", "exact", "note", "note_en"]


def difference(to: pd.DataFrame, frm: pd.DataFrame, total: float, decimals: int, words: dict,
               order: dict | None = None) -> pd.DataFrame:
    """`to` − `frm`, line by line, in composite points, adding up to `total` in whole units of the decimals.

    `words` names the two sides for the notes: {"to": (zh, en), "from": (zh, en)}; `order` gives
    each indicator's position for sorting (the year's indicator order)."""
    a = {r["key"]: r for r in to.to_dict("records")}
    b = {r["key"]: r for r in frm.to_dict("records")}
    rows = []
    rescale: dict = {}
    keys = list(dict.fromkeys(list(a) + list(b)))
    for key in keys:
        here, there = key in a, key in b
        if here and there:
            x, y = a[key], b[key]
            factor = y["factor"] if y["factor"] != 0 else x["factor"]
            main = (x["raw"] - y["raw"]) * factor
            moved = x["exact"] - y["exact"] - main        # the other side's weight or scale (raw_to × Δfactor)
            if abs(moved) > 1e-12 and x["kind"] != "rounding":
                rescale.setdefault(x["component"], [x, 0.0])[1] += moved
            elif abs(moved) > 1e-12:
                main += moved
            if abs(main) <= 1e-12 and x["kind"] not in ("rounding",):
                continue
            rows.append(_line(x, "changed", "both", main, _changed_note(x, y, words)))
        elif here:
            x = a[key]
            rows.append(_line(x, "new", "to", x["exact"], _side_note(x, words["to"])))
        else:
            y = b[key]
            rows.append(_line(y, "gone", "from", -y["exact"], _side_note(y, words["from"])))
    for component, (x, value) in rescale.items():
        rows.append({"component": component, "component_label": x["component_label"],
                     "component_label_en": x["component_label_en"], "indicator": None, "kind": "rescale",
                     "state": "changed", "side": "both", "event_id": None, "date": None, "rule": None, "exact": value,
                     "note": f"{x['component_label']}：权重或折算系数变化（指标体系或方案调整）",
                     "note_en": f"{x['component_label_en']}: its weight or scaling changed (indicator table or scheme)"})
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "contribution"])
    frame = sort_lines(frame, order)
    frame["contribution"] = in_cents(frame["exact"].to_numpy(), total, decimals) if len(frame) else []
    keep = (frame["kind"] != "rounding") | (frame["contribution"] != 0)
    return frame[keep][COLUMNS].reset_index(drop=True)


def sort_lines(frame: pd.DataFrame, order: dict | None) -> pd.DataFrame:
    """Scheme lines first; then per component (scheme order) each indicator in the year's order with its
    starting score, records (by date) and limit together; evaluations, rescaling and caps; rounding last."""
    if frame.empty:
        return frame
    components = {c: i for i, c in enumerate(dict.fromkeys(frame["component"].dropna()))}
    kind = frame["kind"].to_numpy()
    first = np.where(kind == "scheme", -1, np.where(kind == "rounding", 10**6,
                     frame["component"].map(components).fillna(10**5).to_numpy()))
    in_indicator = np.isin(kind, ["start", "record", "limit"])
    second = np.where(in_indicator, frame["indicator"].map(order or {}).fillna(10**4).to_numpy(dtype=float),
                      10**5 + frame["kind"].map(KIND_ORDER).fillna(9).to_numpy())
    key = pd.DataFrame({"a": first, "b": second, "c": frame["kind"].map({"start": 0, "record": 1, "limit": 2}).fillna(0),
                        "s": frame["side"].map({"both": 0, "to": 1, "from": 2}).fillna(3),
                        "d": pd.to_datetime(frame["date"]).fillna(pd.Timestamp("2100-01-01")),
                        "e": frame["event_id"].fillna("").astype(str), "n": np.arange(len(frame))})
    at = key.sort_values(["a", "b", "c", "s", "d", "e", "n"], kind="mergesort").index
    return frame.loc[at].reset_index(drop=True)


def _line(x, state: str, side: str, exact: float, notes: tuple[str, str]) -> dict:
    return {"component": x["component"], "component_label": x["component_label"], "component_label_en": x["component_label_en"],
            "indicator": x["indicator"], "kind": x["kind"], "state": state, "side": side, "event_id": x["event_id"],
            "date": x["date"], "rule": x["rule"], "exact": float(exact) + 0.0, "note": notes[0], "note_en": notes[1]}


def _side_note(x, side: tuple[str, str]) -> tuple[str, str]:
    return f"{side[0]}：{x['note']}", f"{side[1]}: {x['note_en']}"


def _changed_note(x, y, words) -> tuple[str, str]:
    kind = x["kind"]
    if kind in ("start", "evaluation"):
        what = x["indicator"] or x["component_label"]
        what_en = x["indicator"] or x["component_label_en"]
        return (f"{what}：{words['from'][0]} {y['raw']:.2f} → {words['to'][0]} {x['raw']:.2f}",
                f"{what_en}: {words['from'][1]} {y['raw']:.2f} → {words['to'][1]} {x['raw']:.2f}")
    if kind == "limit":
        return (f"{x['note']}（{words['from'][0]} {y['raw']:+.2f} → {words['to'][0]} {x['raw']:+.2f}）",
                f"{x['note_en']} ({words['from'][1]} {y['raw']:+.2f} → {words['to'][1]} {x['raw']:+.2f})")
    if kind == "rounding":
        return "两边综合得分各自四舍五入的差", "the two composites' own rounding"
    return (f"{x['note']}（{words['from'][0]} {y['raw']:+.2f} → {words['to'][0]} {x['raw']:+.2f}）",
            f"{x['note_en']} ({words['from'][1]} {y['raw']:+.2f} → {words['to'][1]} {x['raw']:+.2f})")


def by_indicator(lines: pd.DataFrame, lang: str = "zh", top: int = 8) -> pd.DataFrame:
    """The lines summed per indicator (or component, for evaluations, scheme and rounding), largest first:
    the steps of a waterfall. The steps add up to the lines' total exactly (the smaller ones together)."""
    if lines.empty:
        return pd.DataFrame(columns=["label", "value"])
    name = np.where(lines["indicator"].notna() & (lines["kind"] != "scheme"), lines["indicator"],
                    lines["component_label" if lang == "zh" else "component_label_en"])
    name = np.where(lines["kind"] == "scheme", lines["note" if lang == "zh" else "note_en"], name)
    steps = pd.DataFrame({"label": name, "value": lines["contribution"].to_numpy(dtype=float)})
    steps = steps.groupby("label", sort=False, dropna=False)["value"].sum().reset_index()
    steps["value"] = steps["value"].round(6)
    steps = steps[steps["value"] != 0]
    scheme_first = steps["label"].isin(set(name[lines["kind"].to_numpy() == "scheme"]))
    head = steps[scheme_first]
    rest = steps[~scheme_first].reindex(steps[~scheme_first]["value"].abs().sort_values(ascending=False).index)
    shown, other = rest.head(top), rest.iloc[top:]
    out = pd.concat([head, shown], ignore_index=True)
    if len(other):
        out = pd.concat([out, pd.DataFrame([{"label": "其他" if lang == "zh" else "Other", "value": round(float(other["value"].sum()), 6)}])],
                        ignore_index=True)
    return out.reset_index(drop=True)
