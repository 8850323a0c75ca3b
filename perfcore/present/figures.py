"""Plotly figures for the screens: a frame in, a figure out. No Streamlit here.

Grades keep one colour everywhere, taken by the grade's position in the scheme
(best first) from the Okabe–Ito palette, which colour-blind readers can tell apart.

Plotly reads a little HTML inside any label (<b>, <a href>, <br>), so every name that
comes from the data goes through `esc` first, and data is never spliced into a hover
template: templates only refer to %{text} or %{customdata}.
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .i18n import t

OKABE_ITO = ["#0072B2", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GRADE_PALETTES = {2: ["#0072B2", "#D55E00"], 3: ["#0072B2", "#E69F00", "#D55E00"],
                  4: ["#0072B2", "#009E73", "#E69F00", "#D55E00"],
                  5: ["#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00"]}
NEUTRAL = "#4D4D4D"
UP, DOWN = "#0072B2", "#D55E00"
FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"

# plotly_white, only the parts these figures use, built once. Naming a template ("plotly_white")
# makes plotly build and validate the whole template (every trace type's defaults) for every
# figure: 11 ms each, against under 5 ms with this object; a page draws up to six figures per run.
# Tick labels may overflow the figure ("allow"): automargin already makes room for them, and plotly's
# default for numeric axes ("hide past div") measures every label once per label, which on the
# heatmap's hundred rotated indicator names took a quarter of a second in the browser per draw.
_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "ticks": "", "title": {"standoff": 15},
         "zerolinecolor": "#EBF0F8", "automargin": True, "zerolinewidth": 2, "ticklabeloverflow": "allow"}
TEMPLATE = go.layout.Template(
    layout={"autotypenumbers": "strict", "colorway": OKABE_ITO, "hovermode": "closest", "hoverlabel": {"align": "left"},
            "paper_bgcolor": "white", "plot_bgcolor": "white", "xaxis": _AXIS, "yaxis": _AXIS,
            "coloraxis": {"colorbar": {"outlinewidth": 0, "ticks": ""}},
            "shapedefaults": {"line": {"color": "#2a3f5f"}},
            "annotationdefaults": {"arrowcolor": "#2a3f5f", "arrowhead": 0, "arrowwidth": 1}},
    data={"bar": [{"marker": {"line": {"color": "white", "width": 0.5},
                               "pattern": {"fillmode": "overlay", "size": 10, "solidity": 0.2}}}],
          "heatmap": [{"colorbar": {"outlinewidth": 0, "ticks": ""}}]})


GRADE_BADGES = {2: ["blue", "red"], 3: ["blue", "orange", "red"], 4: ["blue", "green", "orange", "red"],
                5: ["blue", "violet", "green", "orange", "red"]}


def esc(value) -> str:
    """A name from the data as plotly shows it literally (its tags and entities escaped)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esc_all(values) -> list[str]:
    return [esc(v) for v in values]


def grade_badges(grade_names: list[str]) -> dict[str, str]:
    """The named badge colour per grade (best first), matching `grade_colors` as closely as badges allow."""
    names = GRADE_BADGES.get(len(grade_names), ["blue", "green", "orange", "red", "violet", "gray"])
    return {g: names[min(i, len(names) - 1)] for i, g in enumerate(grade_names)}


def grade_colors(grade_names: list[str]) -> dict[str, str]:
    """Colour per grade, best first."""
    palette = GRADE_PALETTES.get(len(grade_names), OKABE_ITO)
    return {g: palette[i % len(palette)] for i, g in enumerate(grade_names)}


def _rgb(hex_color: str) -> list[int]:
    """The red, green and blue of a #RRGGBB colour (0 to 255)."""
    return [int(hex_color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]


def _hex(channels) -> str:
    """A #RRGGBB colour from red, green and blue (rounded to whole numbers)."""
    return "#{:02X}{:02X}{:02X}".format(*(round(c) for c in channels))


def _luminance(hex_color: str) -> float:
    """WCAG relative luminance of a #RRGGBB colour."""
    channels = [c / 255 for c in _rgb(hex_color)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(hex_color: str) -> float:
    """WCAG contrast ratio of white text on this colour (1 to 21)."""
    return 1.05 / (_luminance(hex_color) + 0.05)


def blend(hex_color: str, share: float) -> str:
    """`share` of a colour mixed with white (1: the colour, 0: white)."""
    return _hex(255 - (255 - c) * share for c in _rgb(hex_color))


def label_color(hex_color: str, contrast: float = 4.5) -> str:
    """The colour darkened (same hue, towards black) until white text on it reaches `contrast` (WCAG AA):
    a grade's label in a table keeps its grade's colour and stays readable."""
    rgb = _rgb(hex_color)
    factor = 1.0
    while factor > 0:
        shade = _hex(c * factor for c in rgb)
        if contrast_with_white(shade) >= contrast:
            return shade
        factor -= 0.02
    return "#000000"


def movement_label_colors(moves: list[str]) -> list[str]:
    """A table label's colour for each movement word (▲ up, ▼ down, anything else unchanged), white text readable."""
    return [label_color(UP if m.startswith("▲") else DOWN if m.startswith("▼") else "#999999") for m in moves]


# Room for the axes' labels, worked out before plotly draws. With small margins and automargin alone,
# plotly draws a figure, measures its labels, grows the margins and draws everything again: half of each
# chart's time in the browser on a page switch. When the margins already hold the labels, automargin finds
# nothing to grow and the figure is drawn once; where an estimate falls short (another font, a label
# that wraps), automargin still grows the margin, so nothing is ever cut off.
# The sizes are those of Streamlit's chart theme, set here explicitly so the room below holds for them.
TICK_PX, TITLE_PX = 12, 14          # tick labels; axis titles
STANDOFF = {"x": 20, "y": 24}       # an axis title from its tick labels
PAD = 8                             # the plot area from its axes
BESIDE_TICKS = 19                   # a left margin beyond its widest tick label (the pad, the gap, the edge)
TITLE_ROOM = {"x": 30, "y": 34}     # what an axis title adds to its margin (its standoff and its line)
BELOW_TICKS = 34                    # a bottom margin holding one line of tick labels
LEGEND_ROW = 39                     # one row of a horizontal legend, with its padding
_EM = {**dict.fromkeys("0123456789", 0.5625), "%": 0.91, ".": 0.27, ",": 0.27, " ": 0.26, "-": 0.36,
       "\u2212": 0.5625, "k": 0.53, "M": 0.83, "/": 0.4, "·": 0.27, "…": 1.0}      # "…" is full-width in CJK fonts


def text_px(text, size: float = TICK_PX) -> float:
    """A label's width in pixels, on the generous side: CJK and full-width glyphs are one em in every CJK font;
    digits and signs as Noto Sans draws them; other Latin letters at 0.62 em (wider than most)."""
    return size * sum(1.0 if ord(c) >= 0x2E80 else _EM.get(c, 0.62) for c in html.unescape(str(text)))   # as `esc` wrote it


def _tick_labels(low: float, high: float, tickformat: str | None) -> list[str]:
    """The widest tick labels plotly is likely to write for a numeric range: its ends and middle at the
    precision of a step of about a fifth of the range, thousands from 10,000 as "10k" (plotly's default)."""
    span = abs(high - low) or abs(high) or 1.0
    step = 10 ** np.floor(np.log10(span / 5))
    values = [low, high, (low + high) / 2]

    def decimals(unit: float) -> int:         # digits after the point for a step counted in `unit`s
        return max(0, int(-np.log10(step / unit)))
    if tickformat and tickformat.endswith("%"):
        return [f"{v * 100:.{decimals(0.01)}f}%" for v in values]

    def one(v: float) -> str:
        if abs(v) >= 10_000:
            return f"{v / 1000:.{decimals(1000)}f}k"
        return f"{v:.{decimals(1)}f}".replace("-", "\u2212")
    return [one(v) for v in values]


def _number(value) -> bool:
    """A finite real number (not a bool, a date, a gap or NaN)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and bool(np.isfinite(value))


# The figures are built as plain dicts (plotly's figure format) and made into one go.Figure without
# plotly's checks: building them through plotly's objects checked and copied every value of every trace,
# up to a fifth of a second per chart at 2,000 units on a page's first visit. The checks are turned back
# on once a figure is built (`_checked_from_here`), so a page's later change is checked as usual; the
# tests put every figure through plotly's full validation (tests/test_figures.py).

def _values(column):
    """A column as a trace holds it: numbers as a numpy array (plotly sends them compactly), other values as a list."""
    if isinstance(column, (pd.Series, pd.Index, pd.DataFrame)):
        column = column.to_numpy()
    if isinstance(column, np.ndarray):
        return column if column.dtype.kind in "biufMm" else column.tolist()
    return list(column)


def _trace(kind: str, **props) -> dict:
    """One trace: its type and properties, data columns as `_values` makes them."""
    data = {"x", "y", "z", "base", "text", "customdata", "measure"}
    return {"type": kind, **{k: _values(v) if k in data and not isinstance(v, str) else v for k, v in props.items()}}


def _merged(into: dict, extra: dict) -> dict:
    """`extra` laid over `into`, nested dicts merged as plotly's update_layout merges them."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merged(into[key], value)
        else:
            into[key] = value
    return into


def _vline(x: float, line: dict) -> dict:
    """A vertical line across the plot at x (plotly's add_vline)."""
    return {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain", "line": line}


def _axis_labels(spec: dict, letter: str) -> tuple[list[str], bool]:
    """The tick labels an axis will show (its tick text, its categories, or numbers across its range), and
    whether they are categories (each centred on its own place, the last one on the plot's edge)."""
    axis = spec["layout"].get(letter + "axis", {})
    if axis.get("ticktext") is not None and len(axis["ticktext"]):
        return [str(v) for v in axis["ticktext"]], True
    columns = []                      # each trace's values on this axis: numbers as arrays, anything else as lists
    for trace in spec["data"]:
        data = trace.get(letter)
        if data is None:
            continue
        valued = "x" if trace.get("orientation") == "h" else "y"      # the axis a bar's base is on
        base = trace.get("base") if trace.get("type") == "bar" and letter == valued else None
        if base is not None:          # a bar from its base to base + length: both ends are positions
            data = list(data)
            starts = list(base) if np.ndim(base) else [base] * len(data)
            data = starts + [b + v for b, v in zip(starts, data) if _number(b) and _number(v)]
        if isinstance(data, np.ndarray) and data.dtype.kind in "iuf":
            columns.append(data)
        else:
            columns.append([v for v in data if v is not None])
    if axis.get("type") == "category" or any(isinstance(v, str) for c in columns if isinstance(c, list) for v in c):
        flat = [v for c in columns for v in (c.tolist() if isinstance(c, np.ndarray) else c)]
        return [str(v) for v in dict.fromkeys(flat)], True
    numbers = [float(v) for c in columns if isinstance(c, list) for v in c if _number(v)]   # dates and gaps are left to plotly
    for c in columns:
        if isinstance(c, np.ndarray):
            finite = c[np.isfinite(c)]
            numbers += [float(finite.min()), float(finite.max())] if len(finite) else []
    span = axis.get("range")
    if span is not None and len(span) == 2 and all(_number(v) for v in span):
        low, high = span
    elif numbers:
        low, high = min(numbers), max(numbers)
        low, high = low - (high - low) * 0.05, high + (high - low) * 0.05      # plotly's autorange padding
    else:
        return [], False
    return _tick_labels(float(low), float(high), axis.get("tickformat")), False


def _room(spec: dict, height: int, margin: dict, legend: dict) -> dict:
    """Margins that hold the left axis's labels and title, the bottom axis's labels and title, a horizontal
    legend under the plot, and the last label on the right edge (see TICK_PX): never smaller than `margin`."""
    room = dict(margin)
    xaxis, yaxis = spec["layout"].get("xaxis", {}), spec["layout"].get("yaxis", {})
    ylabels, _ = _axis_labels(spec, "y")
    size = yaxis.get("tickfont", {}).get("size") or TICK_PX
    left = max((text_px(v, size) for v in ylabels), default=0) + BESIDE_TICKS
    if yaxis.get("title", {}).get("text"):
        left += TITLE_ROOM["y"]
    room["l"] = max(room["l"], int(np.ceil(left)) + 2)
    xlabels, categories = _axis_labels(spec, "x")
    xsize = xaxis.get("tickfont", {}).get("size") or TICK_PX
    last = xlabels[-1:] if categories else xlabels      # a label centred on the right edge: the last category,
    if last:                                            # or any number (a range may end on a tick)
        room["r"] = max(room["r"], int(np.ceil(max(text_px(v, xsize) for v in last) / 2)))
    if xaxis.get("tickangle") in (None, 0):      # rotated labels: automargin makes their room
        bottom = BELOW_TICKS + (TITLE_ROOM["x"] if xaxis.get("title", {}).get("text") else 0)
        if legend.get("yref") == "container" and legend.get("y", 1) == 0:   # at the figure's foot, under the axis
            bottom += LEGEND_ROW
        elif legend.get("orientation") == "h" and legend.get("y", 1) < 0:   # y is a share of the plot's height
            share = -legend["y"]
            bottom = max(bottom, (share * (height - room["t"]) + LEGEND_ROW) / (1 + share))
        room["b"] = max(room["b"], int(np.ceil(bottom)) + 2)
    return room


_TEMPLATE = TEMPLATE.to_plotly_json()


def _figure(traces: list[dict], layout: dict, title: str, height: int = 360, **kw) -> go.Figure:
    """The figure, with the look every figure shares: title, font, template, the axes' sizes and the margins
    their labels need."""
    for letter in ("x", "y"):
        axis = layout.setdefault(letter + "axis", {})
        heading = axis.setdefault("title", {})
        heading["standoff"] = STANDOFF[letter]
        heading["font"] = {**heading.get("font", {}), "size": TITLE_PX}
        axis["automargin"] = True
        if axis.get("tickfont", {}).get("size") is None:
            axis["tickfont"] = {**axis.get("tickfont", {}), "size": TICK_PX}
    spec = {"data": traces, "layout": layout}
    asked = {"l": 10, "r": 12, "t": 50, "b": 10, **kw.get("margin", {}), "pad": PAD}
    kw["margin"] = _room(spec, height, asked, kw.get("legend", {}))
    _merged(layout, {"title": {"text": esc(title), "x": 0, "xanchor": "left", "font": {"size": 16}},
                     "font": {"family": FONT, "size": 13, "color": "#262730"}, "template": _TEMPLATE,
                     "height": height, "hoverlabel": {"font": {"family": FONT}}, **kw})
    return _checked_from_here(go.Figure(spec, _validate=False))


def _checked_from_here(fig: go.Figure) -> go.Figure:
    """The figure with plotly's checks back on, for every change made to it after this (a page adding a line or
    a title): those are checked and coerced as on any plotly figure."""
    def walk(obj):
        obj._validate = True
        for child in getattr(obj, "_compound_props", {}).values():
            walk(child)
        for children in getattr(obj, "_compound_array_props", {}).values():
            for child in children:
                walk(child)
    fig._validate = True
    walk(fig._layout_obj)
    for trace in fig.data:
        walk(trace)
    return fig


def _title(text: str) -> dict:
    return {"text": text}


def grade_bar(counts: pd.DataFrame, colors: dict, labels: dict, lang: str) -> go.Figure:
    """Units per grade."""
    bar = _trace("bar", x=_esc_all(labels.get(g, g) for g in counts["grade"]), y=counts["count"],
                 marker={"color": [colors[g] for g in counts["grade"]]}, text=counts["count"],
                 textposition="outside", hovertemplate="%{x}: %{y}<extra></extra>")
    layout = {"yaxis": {"title": _title(t("count", lang)), "range": [0, max(1, int(counts["count"].max())) * 1.25]}}
    return _figure([bar], layout, t("grade", lang), height=280, showlegend=False)


def waterfall(steps: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """From full points to the composite, one step a row (long indicator names stay readable)."""
    trace = _trace("waterfall", orientation="h", y=_esc_all(steps["label"]), x=steps["value"], measure=steps["kind"],
                   text=[f"{v:+.2f}" if k == "relative" else f"{v:.2f}" for v, k in zip(steps["value"], steps["kind"])],
                   textposition="outside", connector={"line": {"color": "#BBBBBB"}},
                   increasing={"marker": {"color": UP}}, decreasing={"marker": {"color": DOWN}},
                   totals={"marker": {"color": NEUTRAL}}, cliponaxis=False,
                   hovertemplate="%{y}<br>%{text}<extra></extra>")
    low, top = _waterfall_extent(steps)
    span = max(top - low, 1.0)
    layout = {"xaxis": {"range": [max(0.0, low - span * 0.6), top + span * 0.45], "title": _title(t("score", lang))},
              "yaxis": {"autorange": "reversed", "tickfont": {"size": 12}}}
    return _figure([trace], layout, title, height=max(320, 30 * len(steps) + 90), showlegend=False)


def _waterfall_extent(steps: pd.DataFrame) -> tuple[float, float]:
    """The lowest and highest level a waterfall reaches (running total through its steps)."""
    level, seen = 0.0, []
    for value, kind in zip(steps["value"], steps["kind"]):
        level = float(value) if kind in ("absolute", "total") else level + float(value)
        seen.append(level)
    return min(seen), max(seen)


def bands(frame: pd.DataFrame, lang: str, title: str, low: str, mid: str, high: str, marker: str | None = None,
          axis_title: str = "", reversed_axis: bool = False, mid_name: str = "", marker_name: str = "",
          colors: list | None = None) -> go.Figure:
    """One horizontal band per unit (row order kept, first on top): low–high as a bar, `mid` as a dot,
    `marker` (e.g. the official rank) as a tick. For rank bands (COINr's uncertainty plot) and forecast intervals."""
    f = frame.iloc[::-1]
    names = _esc_all(f["unit"])
    traces = [_trace("bar", y=names, x=(f[high] - f[low]).to_numpy(dtype=float), base=f[low].to_numpy(dtype=float),
                     orientation="h", marker={"color": colors[::-1] if colors else "#9ecae1", "opacity": 0.55},
                     showlegend=False, customdata=f[[low, high]],
                     hovertemplate="%{y}: %{customdata[0]} – %{customdata[1]}<extra></extra>"),
              _trace("scatter", y=names, x=f[mid], mode="markers", name=esc(mid_name), marker={"color": UP, "size": 9},
                     hovertemplate="%{y}: %{x}<extra></extra>")]
    if marker:
        traces.append(_trace("scatter", y=names, x=f[marker], mode="markers", name=esc(marker_name),
                             marker={"color": NEUTRAL, "symbol": "line-ns-open", "size": 14, "line": {"width": 2}},
                             hovertemplate="%{y}: %{x}<extra></extra>"))
    layout = {"xaxis": {"title": _title(axis_title), "autorange": "reversed" if reversed_axis else True},
              "yaxis": {"type": "category", "tickfont": {"size": 11}}}
    return _figure(traces, layout, title, height=max(360, 20 * len(f) + 110),
                   legend={"orientation": "h", "y": 1.06, "x": 1, "xanchor": "right"}, barmode="overlay")


def grade_probabilities(frame: pd.DataFrame, grade_names: list, colors: dict, labels: dict, lang: str,
                        title: str) -> go.Figure:
    """Per unit (row order kept, first on top), the probability of each grade as one stacked bar."""
    f = frame.iloc[::-1]
    names = _esc_all(f["unit"])
    traces = [_trace("bar", y=names, x=np.array([float(d.get(g, 0.0)) for d in f["p_grade"]]), orientation="h",
                     name=esc(labels.get(g, g)), marker={"color": colors.get(g, NEUTRAL)},
                     hovertemplate="%{y}: %{x:.0%}<extra>" + esc(labels.get(g, g)) + "</extra>")
              for g in grade_names]
    layout = {"xaxis": {"tickformat": ".0%", "range": [0, 1]}, "yaxis": {"type": "category", "tickfont": {"size": 11}}}
    return _figure(traces, layout, title, height=max(360, 20 * len(f) + 110), barmode="stack",
                   legend={"orientation": "h", "y": 1.06, "x": 1, "xanchor": "right"})


MOST_BARS = 20        # a bar chart of indicators shows at most this many (a page lists the rest in a table)


def indicator_vs_series(frame: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """Attainment of each indicator (bars from 0, orange where below the series average) and the series average."""
    f = frame.iloc[::-1]
    traces = []
    below = (f["score"] < f["series_avg"] - 1e-9).to_numpy()
    for part, color, name in ((below, DOWN, t("below_avg", lang)), (~below, UP, t("not_below_avg", lang))):
        g = f[part]
        if g.empty:
            continue
        traces.append(_trace("bar", y=_esc_all(g["target"]), x=g["score"] / g["points"], orientation="h", name=name,
                             marker={"color": color}, customdata=g[["score", "points"]],
                             hovertemplate="%{y}<br>%{customdata[0]:.2f} / %{customdata[1]:.2f}<extra></extra>"))
    traces.append(_trace("scatter", y=_esc_all(f["target"]), x=f["series_avg"] / f["points"], mode="markers",
                         name=t("series_avg", lang),
                         marker={"color": NEUTRAL, "symbol": "line-ns-open", "size": 14, "line": {"width": 2}},
                         customdata=f[["series_avg", "points"]],
                         hovertemplate="%{y}<br>" + t("series_avg", lang) +
                         " %{customdata[0]:.2f} / %{customdata[1]:.2f}<extra></extra>"))
    layout = {"xaxis": {"tickformat": ".0%", "title": _title(t("attainment", lang)), "range": [0, 1.02]},
              "yaxis": {"categoryorder": "array", "categoryarray": _esc_all(f["target"])}}
    return _figure(traces, layout, title, height=max(360, 22 * len(f) + 130), barmode="overlay",
                   legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0})   # under the axis title


def _years_axis(frame: pd.DataFrame) -> dict:
    return {"dtick": 1, "range": [frame["year"].min() - 0.4, frame["year"].max() + 0.4]}


def history_composite(frame: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """The composite over the years, each point labelled."""
    trace = _trace("scatter", x=frame["year"], y=frame["composite"], mode="lines+markers+text",
                   text=[f"{v:.2f}" for v in frame["composite"]], textposition="top center",
                   line={"color": UP}, hovertemplate="%{x}: %{y:.2f}<extra></extra>", cliponaxis=False)
    low, high = float(frame["composite"].min()), float(frame["composite"].max())
    pad = max((high - low) * 0.25, 1.0)
    layout = {"yaxis": {"range": [low - pad, high + pad * 1.6], "title": _title(t("composite", lang))},
              "xaxis": _years_axis(frame)}
    return _figure([trace], layout, title, height=280, showlegend=False)


def history_rank(frame: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """The series rank over the years (1 at the top), each point labelled "rank / units"."""
    trace = _trace("scatter", x=frame["year"], y=frame["series_rank"], mode="lines+markers+text",
                   text=[f"{int(r)} / {int(n)}" for r, n in zip(frame["series_rank"], frame["series_units"])],
                   textposition="top center", line={"color": NEUTRAL}, cliponaxis=False,
                   hovertemplate="%{x}: %{text}<extra></extra>")
    most = int(frame["series_units"].max())
    yaxis = {"range": [most + 0.8, 0.2], "title": _title(t("series_rank", lang))}
    if most <= 12:
        yaxis["dtick"] = 1
    return _figure([trace], {"yaxis": yaxis, "xaxis": _years_axis(frame)}, title, height=280, showlegend=False)


def _short(name: str, limit: int = 8) -> str:
    name = str(name)
    return name if len(name) <= limit else name[:limit - 1] + "…"


def heatmap(matrix: pd.DataFrame, lang: str, title: str, categories: dict | None = None) -> go.Figure:
    """Units × indicators attainment; indicators grouped by their category (项目), named in full on hover.

    `categories` maps an indicator to its category: the columns are drawn category by category,
    a thin line between two categories and the category's name above its columns."""
    columns = list(matrix.columns)
    cats = [(categories or {}).get(c) or "" for c in columns]
    full = _esc_all(columns)
    # the columns are the indicators' full names (named on hover), shown by their short names; no gaps between
    # the cells (each gap made plotly draw a rectangle per cell: 4,100 of them on the sample, 0.04 s a draw)
    trace = _trace("heatmap", z=matrix.to_numpy(), x=full, y=_esc_all(matrix.index), zmin=0.6, zmax=1.0,
                   colorscale=[[0, "#D55E00"], [0.5, "#F7F7F7"], [1, "#0072B2"]],
                   colorbar={"title": _title(t("attainment", lang)), "tickformat": ".0%"},
                   hovertemplate="%{y} · %{x}<br>%{z:.2%}<extra></extra>")
    annotations, shapes, start = [], [], 0
    for i in range(1, len(columns) + 1):
        if i == len(columns) or cats[i] != cats[start]:
            if cats[start]:
                annotations.append({"x": (start + i - 1) / 2, "y": 1.0, "yref": "paper", "yanchor": "bottom",
                                    "showarrow": False, "text": f"<b>{esc(cats[start])}</b>", "font": {"size": 12}})
            if i < len(columns):
                shapes.append(_vline(i - 0.5, {"color": "#4D4D4D", "width": 2}))
            start = i
    layout = {"yaxis": {"autorange": "reversed"},
              "xaxis": {"type": "category", "tickmode": "array", "tickvals": full, "ticktext": [esc(_short(c)) for c in columns],
                        "tickangle": -60, "tickfont": {"size": 11}}}
    if annotations:
        layout["annotations"] = annotations
    if shapes:
        layout["shapes"] = shapes
    return _figure([trace], layout, title, height=max(420, 18 * len(matrix) + 240), margin={"l": 10, "r": 10, "t": 80, "b": 10})


def progress_bars(frame: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """Average progress per unit for one period, against 序时进度, in the frame's order (top first),
    coloured by status with a legend."""
    colors = {"on_track": UP, "behind": "#E69F00", "at_risk": "#CC79A7"}
    patterns = {"on_track": "", "behind": "/", "at_risk": "x"}       # told apart without colour too
    f = frame.iloc[::-1]
    traces = []
    for status in ("on_track", "behind", "at_risk"):
        part = f[f["status"] == status]
        if part.empty:
            continue
        traces.append(_trace("bar", y=_esc_all(part["unit"]), x=part["percent"], orientation="h", name=t(status, lang),
                             marker={"color": colors[status], "pattern": {"shape": patterns[status]}},
                             hovertemplate="%{y}: %{x:.1f}%<extra>" + t(status, lang) + "</extra>"))
    layout = {"yaxis": {"categoryorder": "array", "categoryarray": _esc_all(f["unit"])},
              "xaxis": {"range": [0, 105], "title": _title(t("percent", lang) + " (%)")}}
    if len(f):                 # 序时进度: a dashed line with its name above the plot
        expected = float(f["expected"].iloc[0])
        layout["shapes"] = [_vline(expected, {"dash": "dash", "color": NEUTRAL})]
        layout["annotations"] = [{"text": t("expected", lang), "x": expected, "xref": "x", "xanchor": "center",
                                  "y": 1, "yref": "y domain", "yanchor": "bottom", "showarrow": False}]
    return _figure(traces, layout, title, height=max(360, 18 * len(f) + 120), barmode="overlay", margin={"t": 60},  # the legend
                   legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"})  # and the line's name


def events_by(frame: pd.DataFrame, by: str, lang: str, title: str, horizontal: bool = False) -> go.Figure:
    """Deducted and added points by a column (month, source level, category, unit)."""
    final = frame["final"].to_numpy(dtype=float)
    codes, keys = pd.factorize(frame[by])          # a category's codes as they are: no text hashed per event
    sums = pd.DataFrame({"code": codes, "deducted": np.where(final < 0, -final, 0.0),
                         "added": np.where(final > 0, final, 0.0)})[codes >= 0].groupby("code", sort=False).sum()
    found = np.asarray(keys, dtype=object)[sums.index.to_numpy()]
    order = sorted(range(len(found)), key=found.__getitem__)                  # in text order
    g = pd.DataFrame({by: found[order], "deducted": sums["deducted"].to_numpy()[order],
                      "added": sums["added"].to_numpy()[order]})
    if by == "source_level" and "level_order" in frame:
        g = g.assign(_o=g[by].map(frame.groupby(by, observed=True)["level_order"].first())).sort_values("_o").drop(columns="_o")
    if horizontal:
        g = g.sort_values("deducted")
    names = _esc_all(g[by])
    traces = []
    for col, color in (("deducted", DOWN), ("added", UP)):
        kw = {"y": names, "x": g[col], "orientation": "h"} if horizontal else {"x": names, "y": g[col]}
        traces.append(_trace("bar", name=t(col, lang), marker={"color": color}, hovertemplate="%{" + ("y" if horizontal else "x") +
                             "}: %{" + ("x" if horizontal else "y") + ":.2f}<extra></extra>", **kw))
    layout = {"barmode": "group", "yaxis" if horizontal else "xaxis": {"type": "category"}}
    if by == "month" and not horizontal and len({str(m)[:4] for m in g[by]}) == 1:   # one year: "3月" / "Mar" on the axis
        layout["xaxis"].update(tickmode="array", tickvals=names, ticktext=[_month(m, lang) for m in g[by]])
    return _figure(traces, layout, title, height=max(320, 18 * len(g) + 100) if horizontal else 320,
                   legend={"orientation": "h", "y": 1.08, "x": 1, "xanchor": "right"})


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")   # not the server's locale


def _month(month: str, lang: str) -> str:
    """A "YYYY-MM" month as an axis names it within one year: 3月, Mar."""
    number = int(str(month)[5:7])
    return f"{number}月" if lang == "zh" else MONTHS_EN[number - 1]


def _lines(frame: pd.DataFrame, x: str, y: str, by: str) -> tuple[np.ndarray, np.ndarray, list]:
    """One line per group drawn as a single trace: each group's points in turn (groups in order of first
    appearance), a gap after each (NaN in the numbers, None in the names)."""
    codes, groups = pd.factorize(frame[by], sort=False)
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]                   # rows without a group are left out, as groupby leaves them
    at = np.arange(len(order)) + codes[order]          # a row's place: its position, plus the gaps before its group
    xs, ys = np.full(len(order) + len(groups), np.nan), np.full(len(order) + len(groups), np.nan)
    xs[at] = frame[x].to_numpy(dtype=float)[order]
    ys[at] = frame[y].to_numpy(dtype=float)[order]
    names = np.full(len(xs), None, dtype=object)
    names[at] = np.array(_esc_all(groups), dtype=object)[codes[order]]
    return xs, ys, names.tolist()


def bump(history: pd.DataFrame, lang: str, title: str, highlight: list[str] | None = None) -> go.Figure:
    """Series rank across the years: every unit a thin grey line in one trace, the highlighted ones in colour.

    A few units (at most 8) are labelled and coloured; with no highlight, the series' current top
    and bottom three are. One trace for all the rest keeps the chart fast for hundreds of units.
    """
    traces = []
    history = history.sort_values(["unit", "year"])
    last = history["year"].max()
    if not highlight:
        latest = history[history["year"] == last].sort_values("series_rank")
        highlight = list(latest["unit"].head(3)) + list(latest["unit"].tail(3)) if len(latest) > 6 else list(latest["unit"])
    highlight = [u for u in dict.fromkeys(highlight) if u in set(history["unit"])][:8]
    rest = history[~history["unit"].isin(highlight)]
    if not rest.empty:
        xs, ys, names = _lines(rest, "year", "series_rank", "unit")
        traces.append(_trace("scatter", x=xs, y=ys, mode="lines", line={"width": 1, "color": "#CCCCCC"}, customdata=names,
                             hovertemplate="%{customdata}<br>%{x}: " + t("series_rank", lang) + " %{y}<extra></extra>",
                             showlegend=False, connectgaps=False))
    for i, unit in enumerate(highlight):
        part = history[history["unit"] == unit]
        name = esc(unit)
        color = OKABE_ITO[i % 7]
        traces.append(_trace("scatter", x=part["year"], y=part["series_rank"], mode="lines+markers+text", name=name,
                             text=[name if y == last else "" for y in part["year"]], textposition="middle right",
                             textfont={"size": 11, "color": color}, line={"width": 3, "color": color},
                             customdata=[[name, c] for c in part["composite"]],
                             hovertemplate="%{customdata[0]}<br>%{x}: " + t("series_rank", lang) + " %{y}<br>" +
                             t("composite", lang) + " %{customdata[1]:.2f}<extra></extra>"))
    yaxis = {"autorange": "reversed", "title": _title(t("series_rank", lang))}
    if history["series_rank"].max() <= 20:
        yaxis["dtick"] = 1
    layout = {"yaxis": yaxis, "xaxis": {"dtick": 1, "range": [history["year"].min() - 0.2, last + 0.9]}}
    return _figure(traces, layout, title, height=460, showlegend=False)


def slope(moves: pd.DataFrame, first: int, second: int, lang: str, title: str) -> go.Figure:
    """Rank in one year against another: up, down and unchanged units, one trace each."""
    traces = []
    moves = moves.dropna(subset=["before"])
    labelled = len(moves) <= 40
    for kind, color, part in (("up", UP, moves[moves["change"] > 0]), ("down", DOWN, moves[moves["change"] < 0]),
                              ("flat", "#999999", moves[moves["change"] == 0])):
        if part.empty:
            continue
        xs, ys, text, hover = [], [], [], []
        for unit, before, after in zip(part["unit"].tolist(), part["before"].tolist(), part["after"].tolist()):
            name = esc(unit)
            xs += [str(first), str(second), None]
            ys += [before, after, None]
            text += [name, name, None] if labelled else [None, None, None]
            hover += [[name, int(before), int(after)]] * 2 + [[None, None, None]]
        traces.append(_trace("scatter", x=xs, y=ys, mode="lines+markers+text" if labelled else "lines+markers", text=text,
                             textposition="middle right", textfont={"size": 11}, line={"color": color, "width": 2},
                             marker={"size": 5}, showlegend=False, customdata=hover, connectgaps=False,
                             hovertemplate="%{customdata[0]}: %{customdata[1]} → %{customdata[2]}<extra></extra>"))
    yaxis = {"autorange": "reversed", "title": _title(t("series_rank", lang))}
    if len(moves) <= 20:
        yaxis["dtick"] = 1
    return _figure(traces, {"yaxis": yaxis, "xaxis": {"range": [-0.6, 1.6]}}, title,
                   height=min(max(380, 26 * len(moves) + 100), 900))


# Above this many units a what-if's official-against-simulated chart draws the units as a density
# per simulated grade (squares in the grade's colour, darker where more units fall), not as points:
# every SVG point costs the browser about 0.12 ms to style on each redraw, a quarter of a second at
# 2,000 units on every slider move, and 2,000 overlapping points show no more than the density.
MANY_POINTS = 400
DENSITY_BINS = 40


def whatif_scatter(sim: pd.DataFrame, colors: dict, labels: dict, lang: str, title: str) -> go.Figure:
    """Official against simulated composite, coloured by simulated grade; points off the diagonal
    moved. For more than MANY_POINTS units, how many units fall in each square instead of points."""
    lo = float(min(sim["official_composite"].min(), sim["composite"].min()))
    hi = float(max(sim["official_composite"].max(), sim["composite"].max()))
    traces = [_trace("scatter", x=[lo, hi], y=[lo, hi], mode="lines", line={"color": "#BBBBBB", "dash": "dash"},
                     hoverinfo="skip", showlegend=False)]
    if len(sim) > MANY_POINTS:
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, DENSITY_BINS + 1)
        centres = (edges[:-1] + edges[1:]) / 2
        counts = {grade: np.histogram2d(part["composite"].to_numpy(dtype=float),
                                        part["official_composite"].to_numpy(dtype=float), bins=[edges, edges])[0]
                  for grade, part in sim.groupby("grade", sort=False)}
        most = max(c.max() for c in counts.values())
        for grade, count in counts.items():
            name, colour = labels.get(grade, grade), colors.get(grade, NEUTRAL)
            traces.append(_trace("heatmap", z=np.where(count > 0, count, np.nan), x=centres, y=centres, zmin=0, zmax=most,
                                 colorscale=[[0, blend(colour, 0.2)], [1, colour]], showscale=False, hoverongaps=False,
                                 name=esc(name), showlegend=True, legendgroup=esc(name),
                                 hovertemplate=esc(name) + "<br>" + t("official", lang) + " %{x:.2f} · " +
                                 t("simulated", lang) + " %{y:.2f}<br>" + t("units_in_cell", lang) +
                                 " %{z:.0f}<extra></extra>"))
    else:
        for grade, part in sim.groupby("grade", sort=False):
            traces.append(_trace("scatter", x=part["official_composite"], y=part["composite"], mode="markers",
                                 name=esc(labels.get(grade, grade)),
                                 marker={"color": colors.get(grade, NEUTRAL), "size": 9, "line": {"width": 0.5, "color": "white"}},
                                 text=_esc_all(part["unit"]), customdata=part[["official_rank", "rank"]],
                                 hovertemplate="%{text}<br>" + t("official", lang) + " %{x:.2f} (#%{customdata[0]})<br>" +
                                 t("simulated", lang) + " %{y:.2f} (#%{customdata[1]})<extra></extra>"))
    layout = {"xaxis": {"title": _title(t("official", lang) + " · " + t("composite", lang))},
              "yaxis": {"title": _title(t("simulated", lang) + " · " + t("composite", lang))}}
    return _figure(traces, layout, title, height=420, legend={"orientation": "h", "y": -0.18})
