"""A year's evaluation, scored: the one entry point for official results.

    year = score(con, "示例区", 2025)
    year.results      one row per unit: components, composite, ranks, grade, veto, movement, consequences
    year.grid         every unit's score on every indicator and pool (arrays); year.targets as a long table
    year.components   the unweighted components per unit
    year.events, year.amounts   the year's events and what the pipeline made of each

A what-if (whatif.py) calls the same steps with a changed scheme or event set. Earlier years'
results, which movement and consequences need, are kept per database and data version, so
scoring the years of an organisation one after another scores each only once.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from ..errors import NotFound
from ..store import result_cache
from ..store.connection import committed, data_version
from . import eventset, grading, pipeline, scoring
from .events import cell_totals, synthetic_lines, veto_events
from .events import lines as event_lines
from .scheme import Scheme, parse


@dataclass
class YearScore:
    org: str
    year: int
    scheme: Scheme
    units: pd.DataFrame
    indicators: pd.DataFrame
    grid: scoring.Grid
    components: pd.DataFrame
    results: pd.DataFrame
    notes: list = field(default_factory=list)
    vetoes: dict = field(default_factory=dict)     # unit -> reason
    evaluations: pd.DataFrame | None = None
    inputs: "Inputs | None" = None                 # what the year was scored from (kept for what-ifs and traces)
    amounts: object = None                         # pipeline.Amounts: what the pipeline made of each event
    simulated: bool = False                        # a what-if's year (whatif.py), not the official result

    @property
    def events(self):
        return self.inputs.events

    @cached_property
    def targets(self) -> pd.DataFrame:
        """One row per unit × indicator/pool: base, events' net, floor/ceiling, score (built when asked for)."""
        return self.grid.frame()

    def event_lines(self) -> pd.DataFrame:
        """Every counted event with its amount after each pipeline step, then the task items' lines
        (events.COLUMNS), from what scoring the year already computed."""
        frame = event_lines(self.inputs.events, self.amounts, self.scheme, self.units["unit"], self.inputs.targets)
        synthetic = self.inputs.synthetic
        return pd.concat([frame, synthetic], ignore_index=True) if not synthetic.empty else frame


def years(con, org: str) -> list[int]:
    """Years with a scheme for this organisation, oldest first."""
    return [r[0] for r in con.execute("SELECT year FROM schemes WHERE org = ? ORDER BY year", [org]).fetchall()]


def orgs(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT org FROM orgs ORDER BY org").fetchall()]


def load_scheme(con, org: str, year: int) -> Scheme:
    """The stored scheme of an organisation and year."""
    row = con.execute("SELECT scheme_toml FROM schemes WHERE org = ? AND year = ?", [org, year]).fetchone()
    if row is None:
        if org not in orgs(con):
            raise NotFound(f"没有组织「{org}」", f"no organisation '{org}'")
        raise NotFound(f"组织「{org}」没有 {year} 年度的考评方案", f"organisation '{org}' has no scheme for {year}")
    return _parsed(row[0], org, year)


@lru_cache(maxsize=256)
def _parsed(text: str, org: str, year: int) -> Scheme:
    return parse(text, f"{org}/{year}/考评方案.toml", org, year)


def _evaluations(con, org, year):
    return con.execute("SELECT unit, kind, aspect, score, max_score FROM evaluations WHERE org = ? AND year = ? AND NOT retired",
                       [org, year]).df()


def direct_scores(con, org, year):
    return con.execute("SELECT unit, indicator, score FROM indicator_scores WHERE org = ? AND year = ? AND NOT retired",
                       [org, year]).df()


def _veto_table(con, org, year):
    return con.execute("SELECT unit, category, date, description, evidence, people FROM vetoes WHERE org = ? AND year = ? "
                       "AND NOT retired ORDER BY date", [org, year]).df()


UNIT_FACTS = ("level", "principal", "leader_in_charge")   # from the unit list: for rewards (R28) and named people (R22, R27)


def annotate(results: pd.DataFrame, grid: scoring.Grid, veto_table: pd.DataFrame) -> pd.DataFrame:
    """What consequences look at besides scores: the indicators each unit used up (E2: score 0
    through deductions, or given 0) and the people involved in its vetoes (当事人). The columns are
    added to `results` (a frame `finish` made), which is returned."""
    used_up = exhausted(grid)
    people: dict[str, list] = {}
    if veto_table is not None and "people" in veto_table:
        for unit, names in zip(veto_table["unit"], veto_table["people"]):
            for name in split_names(names):
                if name not in people.setdefault(unit, []):
                    people[unit].append(name)
    results["exhausted"] = _lists(results["unit"], used_up)
    results["veto_people"] = _lists(results["unit"], people)
    return results


def _lists(units: pd.Series, found: dict) -> np.ndarray:
    """A column of lists, one per unit: found[unit], or an empty list."""
    out = np.empty(len(units), dtype=object)
    for i, unit in enumerate(units.tolist()):
        out[i] = found.get(unit, [])
    return out


def split_names(text) -> list[str]:
    """'赵某、钱某' → ['赵某', '钱某'] (the offices separate names by 、，, ; or spaces)."""
    if not isinstance(text, str):
        return []
    return [x for x in re.split(r"[、，,；;\s]+", text.strip()) if x]


def exhausted(grid: scoring.Grid) -> dict:
    """Per unit, the indicators whose points are used up (扣完): score 0 with points above 0, reached
    through deductions or given as 0 by the data-collection unit. Pools have no points to use up."""
    points = grid.targets["points"].to_numpy(dtype=float)
    is_indicator = ~grid.targets["is_pool"].to_numpy(dtype=bool) & (np.nan_to_num(points) > 0)
    score = np.asarray(grid.score)
    reached = (np.asarray(grid.deducted) > 1e-12) | ((np.asarray(grid.base_source) == scoring.DIRECT) & (np.asarray(grid.base) <= 1e-12))
    hit = is_indicator[None, :] & (score <= 1e-9) & reached
    names = grid.targets["target"].to_numpy()
    rows, columns = np.nonzero(hit)                       # row-major: each unit's indicators together, in grid order
    if not len(rows):
        return {}
    units, starts = np.unique(rows, return_index=True)
    flat, bounds = names[columns].tolist(), np.r_[starts, len(rows)].tolist()
    return {unit: flat[a:b] for unit, a, b in zip(grid.units[units].tolist(), bounds[:-1], bounds[1:])}


def finish(units: pd.DataFrame, components: pd.DataFrame, vetoes: dict, scheme: Scheme,
           extra: dict | None = None) -> tuple[pd.DataFrame, list]:
    """Composite, veto, ranks and grades from component values (no history).

    `extra` (unit → composite points) is a what-if: points a unit would gain outside every
    component, so no tie-break value moves (how far a unit is from the next rank or grade)."""
    facts = ["unit", "series"] + [c for c in UNIT_FACTS if c in units.columns]
    if len(components) == len(units) and (components["unit"].to_numpy() == units["unit"].to_numpy()).all():
        cols = {c: units[c].to_numpy() for c in facts}
        cols.update((c, components[c].to_numpy()) for c in components.columns if c != "unit")
    else:
        merged = units[facts].merge(components, on="unit", how="left")
        cols = {c: merged[c].to_numpy() for c in merged.columns}
    n = len(cols["unit"])
    composite = scoring.composite(cols, scheme)
    if extra:
        added = np.array([extra.get(u, 0.0) for u in cols["unit"].tolist()], dtype=float)
        composite = scoring.round_half_up(composite + added, scheme.decimals)
    cols["composite"] = composite
    if vetoes:
        cols["veto"] = np.array([u in vetoes for u in cols["unit"].tolist()], dtype=bool)
        cols["veto_reason"] = np.array([vetoes.get(u, "") for u in cols["unit"].tolist()], dtype=object)
    else:
        cols["veto"], cols["veto_reason"] = np.zeros(n, dtype=bool), np.full(n, "", dtype=object)
    cols["rank"] = grading.competition_rank(composite)
    cols["series_rank"] = grading.competition_rank(composite, groups=cols["series"])
    frame = pd.DataFrame(cols)
    frame["grade"], notes = grading.assign_grades(frame, scheme)
    return frame, notes


def _veto_reasons(veto_table: pd.DataFrame, veto_events: pd.DataFrame) -> dict:
    reasons: dict[str, list] = {}
    for r in veto_table.itertuples() if len(veto_table) else ():
        reasons.setdefault(r.unit, []).append(f"{r.category}（{r.date:%Y-%m-%d}）" + (f"：{r.description}" if r.description else ""))
    for r in veto_events.itertuples() if len(veto_events) else ():
        reasons.setdefault(r.unit, []).append(f"{r.rule}（事件 {r.event_id}，{pd.Timestamp(r.date):%Y-%m-%d}）")
    return {u: "；".join(v) for u, v in reasons.items()}


@dataclass
class Inputs:
    """Everything a year is scored from, read from the database once.

    The tables the event pipeline does not need (task-item lines, direct scores, evaluations,
    vetoes) are read on a thread of their own while it runs, once the ledger's scan is done (begun
    beside the scan, their queries slowed it: the pipeline waits for the scan, not for them): `rest`
    holds them, or the read under way, and the first use waits for it."""

    units: pd.DataFrame
    indicators: pd.DataFrame
    targets: list
    target_table: pd.DataFrame   # scoring.target_frame: the targets' facts in grid order
    scheme_pools: tuple          # the pools target_table was built with
    events: object               # eventset.EventSet
    rest: object                 # (synthetic, direct, evaluations, veto_table), or a Future of them

    def _rest(self) -> tuple:
        if not isinstance(self.rest, tuple):
            self.rest = self.rest.result()
        return self.rest

    @property
    def synthetic(self) -> pd.DataFrame:
        """Lines from task items and outside rankings (R20, R21, R21b, R30)."""
        return self._rest()[0]

    @property
    def direct(self) -> pd.DataFrame:
        """Scores given by data-collection units."""
        return self._rest()[1]

    @property
    def evaluations(self) -> pd.DataFrame:
        return self._rest()[2]

    @property
    def veto_table(self) -> pd.DataFrame:
        return self._rest()[3]


def _tables_after_pipeline(cur, scheme: Scheme, org: str, year: int) -> tuple:
    """The year's tables scoring needs only after the event pipeline, read through `cur` (closed here)."""
    try:
        return (synthetic_lines(cur, scheme, org, year), direct_scores(cur, org, year), _evaluations(cur, org, year),
                _veto_table(cur, org, year))
    finally:
        cur.close()


def read_inputs(con, org: str, year: int, scheme: Scheme, rows: "eventset.Pending | None" = None,
                version: tuple | None = None) -> Inputs:
    """Read a year's units, indicators, events, task-item lines, direct scores, evaluations and vetoes.
    `rows` is the ledger's scan when the caller started it already (`eventset.read_soon`); `version`
    the data version the caller read (the organisation's units and indicators are kept under it)."""
    rows = rows if rows is not None else eventset.read_soon(con, org, year)     # the ledger, scanned meanwhile
    listing, trees = org_tables(con, org, version)
    units = scoring.units_in(listing, year)
    indicators = scoring.indicator_table(con, org, year, trees)
    table = scoring.target_frame(indicators, scheme)
    targets = table["target"].tolist()
    scanned = rows.result(scheme)
    rest = eventset.soon(_tables_after_pipeline, con.cursor(), scheme, org, year)
    events = eventset.load(con, scheme, org, year, units["unit"].tolist(), targets, rows=scanned)
    return Inputs(units, indicators, targets, table, scheme.pools, events, rest)


def compute(org: str, year: int, scheme: Scheme, inputs: Inputs, off=None, points: dict | None = None,
            amounts=None, base: "YearScore | None" = None, changed_units: np.ndarray | None = None,
            extra: dict | None = None) -> YearScore:
    """Score a year from its inputs: the pipeline, the grid, components, composite, ranks and grades.

    `off` (a mask of events switched off) and `points` (indicator → points) are what-if changes,
    as is any change made to the scheme; `amounts` reuses a pipeline result already computed
    for exactly this scheme and mask. With `base` (a year scored from the same inputs under the
    same points) and `changed_units` (row positions), only those units' rows of the grid are
    computed again; every unit's composite, rank and grade still are. `extra` (unit → composite
    points) is passed to `finish`.
    """
    unit_names = inputs.units["unit"].tolist()
    amounts = amounts if amounts is not None else pipeline.run(inputs.events, scheme, inputs.targets, off=off)
    synthetic = rescaled(inputs.synthetic, inputs.indicators, points)
    table = inputs.target_table if scheme.pools == inputs.scheme_pools else None
    if base is not None and changed_units is not None:
        rows = np.asarray(changed_units, dtype=np.int64)
        names = [unit_names[i] for i in rows]
        keep = np.isin(inputs.events.unit, rows)
        local = np.full(len(unit_names), -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        part_events = inputs.events.subset(np.flatnonzero(keep))
        part_events.unit = local[part_events.unit].astype(np.int32)
        part_amounts = pipeline.Amounts(**{k: v[keep] for k, v in vars(amounts).items()})
        part_synthetic = synthetic[synthetic["unit"].isin(names)] if not synthetic.empty else synthetic
        totals = cell_totals(part_events, part_amounts, part_synthetic, names, inputs.targets)
        part = scoring.target_scores(names, inputs.indicators, scheme, totals,
                                     inputs.direct[inputs.direct["unit"].isin(names)], points, targets=table)
        grid = scoring.patch_rows(base.grid, rows, part)
    else:
        totals = cell_totals(inputs.events, amounts, synthetic, unit_names, inputs.targets)
        grid = scoring.target_scores(unit_names, inputs.indicators, scheme, totals, inputs.direct, points, targets=table)
    components = scoring.component_values(grid, inputs.evaluations, scheme)
    vetoes = _veto_reasons(inputs.veto_table, veto_events(inputs.events, amounts, scheme, unit_names))
    results, notes = finish(inputs.units, components, vetoes, scheme, extra)
    results = annotate(results, grid, inputs.veto_table)
    waiting = (grid.base_source == scoring.PROVISIONAL).any(axis=1)
    at = pd.Index(grid.units).get_indexer(results["unit"])
    results["provisional"] = np.where(at >= 0, waiting[np.maximum(at, 0)], False)
    return YearScore(org, year, scheme, inputs.units, inputs.indicators, grid, components, results, notes, vetoes,
                     inputs.evaluations, inputs, amounts)


def rescaled(synthetic: pd.DataFrame, indicators: pd.DataFrame, points: dict | None) -> pd.DataFrame:
    """Synthetic lines that are shares of an indicator's points (R30 by shares) follow a what-if's
    change of those points."""
    if not points or synthetic is None or synthetic.empty or "per_point" not in synthetic:
        return synthetic
    old = dict(zip(indicators["indicator"], indicators["points"].astype(float)))
    factor = np.array([points[t] / old[t] if share and t in points and old.get(t) else 1.0
                       for t, share in zip(synthetic["target"], synthetic["per_point"])])
    if np.all(factor == 1.0):
        return synthetic
    out = synthetic.copy()
    for column in ("unit_amount", "base"):
        out[column] = out[column] * factor
    for column in ("signed", "after_dedup", "final"):
        out[column] = out[column] * factor
    return out


def score_base(con, org: str, year: int, scheme: Scheme | None = None, excluded: tuple = (),
               points: dict | None = None, version: tuple | None = None) -> YearScore:
    """Score one year without looking at other years.

    `excluded` (event ids switched off) and `points` (indicator → points) are what-if changes;
    `scheme` a changed scheme; `version` the data version the caller read (see `read_inputs`).
    """
    rows = eventset.read_soon(con, org, year)         # the ledger's scan starts while the scheme is read
    scheme = scheme or load_scheme(con, org, year)
    inputs = read_inputs(con, org, year, scheme, rows, version)
    off = inputs.events.positions(excluded) if excluded else None
    return compute(org, year, scheme, inputs, off, points)


def in_progress(results: pd.DataFrame) -> bool:
    """A year still being collected: some component not yet given, or a direct score not yet entered."""
    return bool((results["missing"] != "").any() or results.get("provisional", pd.Series(False)).any())


def history_depth(scheme: Scheme) -> int:
    """How many earlier years the movement and consequences need."""
    return max([1] + [c.years - 1 for c in scheme.consequences])


# Earlier years' results (before history), per database file and data version: a few small frames.
_PAST: OrderedDict = OrderedDict()
_PAST_LOCK = threading.Lock()
_PAST_SIZE = 256


def _remember(key, value, store: OrderedDict = _PAST, size: int = _PAST_SIZE) -> None:
    """Keep a value in one of this module's caches, the newest `size` of them."""
    if key is None:
        return
    with _PAST_LOCK:
        store[key] = value
        store.move_to_end(key)
        while len(store) > size:
            store.popitem(last=False)


_SCORING: dict = {}          # key -> threading.Event: a year being scored right now by some thread


def base_results(con, org: str, year: int, version: tuple | None = None) -> pd.DataFrame:
    """A year's results before history (ranks, grades, composite), kept per data version.

    Several threads asking for the same year at once (sessions, a warm-up) score it once: the
    others wait for the first one's result.
    """
    version = version if version is not None else data_version(con)
    key = (version, org, year) if None not in version else None
    if key is None:
        return score_base(con, org, year).results
    while True:
        with _PAST_LOCK:
            found = _PAST.get(key)
            if found is not None:
                return found
            running = _SCORING.get(key)
            if running is None:
                running = _SCORING[key] = threading.Event()
                break
        running.wait()        # then look again: found, or (the other thread failed) score it here
    try:
        path, data = version
        results = result_cache.get(con, org, year, data)          # kept in the database by an earlier scoring
        if results is None:
            results = score_base(con, org, year, version=version).results
            if data_version(con) != version:
                return results        # the data moved on since `version` was read: not kept under it
            result_cache.put(con, org, year, data, results)
        _remember(key, results)
        return results
    finally:
        with _PAST_LOCK:
            _SCORING.pop(key, None)
        running.set()


def score(con, org: str, year: int) -> YearScore:
    """The official result of a year, with last year's ranks, movement and consequences.

    The year's tables are read through several cursors, each its own moment of the database: should
    this process commit a change meanwhile (DuckDB lets no other process write while it has the file
    open), the year is read and scored again, so that it is the data of one version."""
    while True:
        mark = committed()
        version = data_version(con)
        current = score_base(con, org, year, version=version)
        if committed() == mark:
            break
    if None not in version:
        _remember((version, org, year), current.results)
        result_cache.put(con, org, year, version[1], current.results)
    current.results = with_history(con, current, version)
    return current


def with_history(con, current: YearScore, version: tuple | None = None) -> pd.DataFrame:
    """The year's results with the earlier years' ranks, movement and consequences."""
    previous = []
    known = _known_years(con, current.org, version)
    for back in range(1, history_depth(current.scheme) + 1):
        if current.year - back not in known:
            break
        previous.append(base_results(con, current.org, current.year - back, version))
    return grading.with_history(current.results, previous, current.scheme, rows=ordering(current.results))


_YEARS: OrderedDict = OrderedDict()      # (data version, organisation) -> its years with a scheme
_TABLES: OrderedDict = OrderedDict()     # (data version, organisation) -> its unit list and every year's indicators
_TABLES_SIZE = 16                        # a few versions of a few organisations: each about 2.5 MB at 10,000 units


def org_tables(con, org: str, version: tuple | None) -> tuple[dict, dict]:
    """The organisation's units (scoring.unit_list) and every year's indicators (scoring.indicator_tables),
    read once per data version: scoring the years one after another reads them once, not once a year
    beside each year's scan, which they slowed. Kept only when the data did not move on from `version`
    while they were read."""
    if version is None or None in version:
        return scoring.unit_list(con, org), scoring.indicator_tables(con, org)
    with _PAST_LOCK:
        found = _TABLES.get((version, org))
    if found is None:
        found = scoring.unit_list(con, org), scoring.indicator_tables(con, org)
        if data_version(con) == version:
            _remember((version, org), found, _TABLES, _TABLES_SIZE)
    return found


def _known_years(con, org: str, version: tuple | None) -> set:
    """The organisation's years, asked of the database once per data version (every scoring of a
    year asks which earlier years there are)."""
    if version is None or None in version:
        return set(years(con, org))
    with _PAST_LOCK:
        found = _YEARS.get((version, org))
    if found is None:
        found = set(years(con, org))
        _remember((version, org), found, _YEARS)
    return found


def ordering(results: pd.DataFrame) -> np.ndarray:
    """The rows' positions in rank order, ties in pinyin order of the unit name."""
    from ..names import pinyin_ordinal
    return np.lexsort((pinyin_ordinal(results["unit"]), results["rank"].to_numpy()))


def order(results: pd.DataFrame) -> pd.DataFrame:
    """Rank order, ties in pinyin order of the unit name."""
    return results.iloc[ordering(results)].reset_index(drop=True)


def public_columns(year: YearScore) -> list[str]:
    """Columns of the machine-readable result, component keys included."""
    comps = [c.key for c in year.scheme.components]
    return (["unit", "series"] + comps + ["composite", "rank", "series_rank", "grade", "veto", "veto_reason",
                                          "prev_rank", "prev_series_rank", "rank_change", "series_rank_change",
                                          "movement", "consequences", "consequence_details", "exhausted", "reward",
                                          "reward_base", "reward_amount", "missing"])


def table(year: YearScore, series: str | None = None) -> pd.DataFrame:
    """The result table for output, optionally one series."""
    frame = year.results[public_columns(year)]
    if series:
        frame = frame[frame["series"] == series]
    return frame.reset_index(drop=True)


def nan_to_none(value):
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
