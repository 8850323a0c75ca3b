"""A year's recorded events as compact arrays: what the event pipeline reads.

The year's rows are scanned once into Arrow (the columns in two halves, on two threads, while
the caller reads the year's small tables: `read_soon`), and Arrow's compute kernels turn them
into integer codes and numbers: the unit's and target's grid positions, the rule's position in
the scheme, the status, role, source level and aggravation, and codes for problem and matter
keys (equal codes for equal keys, exactly: 0 for none, else one more than the key's position
among the year's keys). No text crosses into Python objects.

Rows come in storage order; where order matters (ties broken by date, then id, as the rules
say), `ordering` sorts by the day and fetches ids only for the few events still tied on
the same day. All ids are fetched only when a trace or a what-if needs them (`ids()`), aligned
by row id.

    events = load(con, scheme, org, year, units, targets)
    len(events), events.unit, events.target, events.rule, …
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ..vocab import SOURCE_LEVELS, STATUSES
from .scheme import Scheme



@dataclass
class EventSet:
    """The events of one organisation-year (every status), as aligned arrays."""

    org: str
    year: int
    rowid: np.ndarray         # the row's id in DuckDB: aligns ids fetched later
    unit: np.ndarray          # grid position of the unit (only units evaluated that year)
    target: np.ndarray        # grid position of the indicator or pool
    rule: np.ndarray          # position in scheme.rules
    status: np.ndarray        # position in vocab.STATUSES, -1 for unknown
    count: np.ndarray
    base_amount: np.ndarray   # NaN where none was entered
    role: np.ndarray          # position in the scheme's roles, -1 for none or unknown
    level: np.ndarray         # position in vocab.SOURCE_LEVELS, -1 for unknown
    instruction: np.ndarray   # position in vocab.SOURCE_LEVELS of the instruction's level (批示层级), -1 for none
    aggravation: np.ndarray   # position in `aggravations`, -1 for none or one no multiplier names
    accountable: np.ndarray
    mitigation_mode: np.ndarray   # 0 none, 1 exempt (免予), 2 reduce (减轻)
    mitigation_code: np.ndarray   # -1 for none
    day: np.ndarray           # days since 1970-01-01
    problem: np.ndarray       # 0 for none, else a code equal for equal problem keys (within this load)
    matter: np.ndarray        # 0 for none, else a code equal for equal matter keys (within this load)
    aggravations: tuple = ()
    _ids: np.ndarray | None = field(default=None, repr=False)
    _some_ids: dict = field(default_factory=dict, repr=False)   # position -> id, for events fetched one by one
    _where: dict | None = field(default=None, repr=False)          # id -> position, built once when needed
    _query: tuple | None = field(default=None, repr=False)   # (connection, FROM … WHERE …, parameters)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __len__(self) -> int:
        return len(self.unit)

    def subset(self, rows: np.ndarray) -> "EventSet":
        """The events at `rows` (positions), as an event set of their own (same grid positions)."""
        rows = np.asarray(rows, dtype=np.int64)
        arrays = {name: getattr(self, name)[rows] for name in ARRAYS}
        part = EventSet(org=self.org, year=self.year, aggravations=self.aggravations, _query=self._query, **arrays)
        if self._ids is not None:
            part._ids = self._ids[rows]
        with self._lock:                 # shared by sessions: another may be adding ids meanwhile
            part._some_ids = {i: self._some_ids[p] for i, p in enumerate(rows.tolist()) if p in self._some_ids}
        return part

    def ids(self) -> np.ndarray:
        """Every event's id, aligned with the arrays (one query on a cursor of its own, the first time).

        The same event set may be shared by several sessions; the lock makes the first fetch once.
        """
        with self._lock:
            if self._ids is None:
                rowid, ids = self._fetch_ids(None)
                self._ids = _aligned(self.rowid, rowid, ids)
        return self._ids

    def ids_of(self, pos: np.ndarray) -> np.ndarray:
        """The ids of some events (a small query for those not fetched yet, unless every id is already here)."""
        pos = np.asarray(pos, dtype=np.int64)
        if self._ids is not None or len(pos) > 2000:
            return self.ids()[pos]
        with self._lock:
            missing = np.array([p for p in pos.tolist() if p not in self._some_ids], dtype=np.int64)
            if len(missing):
                rowid, ids = self._fetch_ids(self.rowid[missing])
                self._some_ids.update(zip(missing.tolist(), _aligned(self.rowid[missing], rowid, ids)))
            return np.array([self._some_ids[p] for p in pos.tolist()], dtype=object)

    def _fetch_ids(self, rowids):
        con, source, params = self._query
        cur = con.cursor()
        try:
            if rowids is None:
                got = cur.execute(f"SELECT e.rowid AS rowid, e.event_id AS id {source}", params).fetchnumpy()
            else:   # a few rows: those row ids within the year
                got = cur.execute("SELECT e.rowid AS rowid, e.event_id AS id FROM events e WHERE e.org = ? AND e.year = ? "
                                  "AND e.rowid = ANY(?)", params[:2] + [np.asarray(rowids, dtype=np.int64).tolist()]).fetchnumpy()
        finally:
            cur.close()
        return np.asarray(got["rowid"], dtype=np.int64), np.asarray(got["id"], dtype=object)

    def ordering(self, rows: np.ndarray, *keys) -> "Ordering":
        """`rows` (positions) sorted by `keys` (most significant first), then date; ties still to be
        broken by id (see Ordering)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) < 2:
            return Ordering(self, rows, np.arange(len(rows)), np.zeros(max(len(rows) - 1, 0), dtype=bool))
        columns = [np.asarray(k) for k in keys] + [self.day[rows]]
        order = np.lexsort(tuple(reversed(columns)))
        same = np.ones(len(rows) - 1, dtype=bool)
        for c in columns:
            c = c[order]
            same &= c[1:] == c[:-1]
        return Ordering(self, rows[order], order, same)

    def positions(self, event_ids) -> np.ndarray:
        """A mask of the events with the given ids (ids not in this set are ignored)."""
        mask = np.zeros(len(self), dtype=bool)
        wanted = [str(i) for i in event_ids]
        if wanted:
            if self._where is None:
                ids = self.ids()
                self._where = dict(zip(ids.tolist(), range(len(ids))))
            mask[[self._where[i] for i in wanted if i in self._where]] = True
        return mask

    def dates(self, pos) -> np.ndarray:
        """The events' dates (datetime64)."""
        return (np.datetime64("1970-01-01") + self.day[pos].astype("timedelta64[D]")).astype("datetime64[ns]")


class Ordering:
    """Events sorted by some keys, then date. Neighbours equal on all of them (`tied`) are ordered by
    id, as the rules say, only when asked: their ids are fetched then, for those rows alone."""

    def __init__(self, events: EventSet, sorted_rows: np.ndarray, order: np.ndarray, same: np.ndarray):
        self.events, self.sorted, self.order = events, sorted_rows, order   # order: input position of each sorted row
        self.same = same                                # sorted row i+1 ties with row i
        self.tied = np.r_[same, False] | np.r_[False, same] if len(sorted_rows) else np.zeros(0, dtype=bool)

    def tied_rows(self, need: np.ndarray | None = None) -> np.ndarray:
        """The tied rows (positions in the event set), or those of them where `need` (in sorted order) holds."""
        return self.sorted[self.tied if need is None else self.tied & need]

    def rows(self, need: np.ndarray | None = None) -> np.ndarray:
        """The rows in order, ties broken by id (only where `need`, in sorted order, holds: elsewhere the
        order of tied rows is left as found)."""
        tied = self.tied if need is None else self.tied & need
        if not tied.any():
            return self.sorted
        run = np.cumsum(np.r_[True, ~self.same])        # one number per run of tied neighbours
        at = np.flatnonzero(tied)
        ids = self.events.ids_of(self.sorted[at]).astype("U")
        out = self.sorted.copy()
        out[at] = self.sorted[at][np.lexsort((ids, run[at]))]
        return out


ARRAYS = ("rowid", "unit", "target", "rule", "status", "count", "base_amount", "role", "level", "instruction", "aggravation",
          "accountable", "mitigation_mode", "mitigation_code", "day", "problem", "matter")


def _aligned(want: np.ndarray, rowid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` (keyed by `rowid`) in the order of `want`."""
    order = np.argsort(rowid)
    return values[order[np.searchsorted(rowid[order], want)]]


COLUMNS = ("rowid", "unit", "target", "rule", "status", "count", "base_amount", "role", "source_level", "instruction_level",
           "aggravation", "accountable", "mitigation_mode", "mitigation_code", "date", "problem_key", "matter_key")
# the columns in two halves of about equal cost, scanned at once on two threads (each with the row id, to align them)
HALVES = (("rowid", "unit", "target", "rule", "status", "count", "base_amount", "source_level"),
          ("rowid", "role", "instruction_level", "aggravation", "accountable", "mitigation_mode", "mitigation_code", "date",
           "problem_key", "matter_key"))
MITIGATION_MODES = ("exempt", "reduce")   # stored words → mitigation_mode 1, 2 (0 for none)


def _position(column, values, missing: int = -1) -> np.ndarray:
    """Each text's position in `values` (`missing` where absent or empty), as int32."""
    import pyarrow as pa
    import pyarrow.compute as pc
    at = pc.index_in(column, value_set=pa.array([str(v) for v in values], type=pa.string()))
    return pc.fill_null(at, missing).to_numpy().astype(np.int32, copy=False)


def _codes(column) -> np.ndarray:
    """A code per row, equal for equal texts: 0 for none, else 1 + the text's position among the year's keys."""
    import pyarrow.compute as pc
    coded = pc.dictionary_encode(column).combine_chunks()
    return pc.fill_null(coded.indices, -1).to_numpy().astype(np.int64) + 1


def _numbers(column, dtype, fill) -> np.ndarray:
    import pyarrow.compute as pc
    if column.null_count:
        column = pc.fill_null(column, fill)
    return column.to_numpy().astype(dtype, copy=False)


def _source(org: str, year: int, unit: str | None) -> tuple[str, list]:
    where = "WHERE e.org = ? AND e.year = ?" + (" AND e.unit = ?" if unit is not None else "")
    return f"FROM events e {where}", [org, year] + ([unit] if unit is not None else [])


def _aggravations(scheme: Scheme) -> tuple:
    return tuple(sorted({a for m in scheme.multipliers for a in m.aggravation}))


def _scan(cur, scheme: Scheme, org: str, year: int, unit: str | None, columns) -> dict:
    """Some columns of the year's rows, coded: every text a position (or, for keys, an exact code),
    except the unit and target names, which need the year's units and targets (see `load`).

    DuckDB scans the rows into Arrow through `cur`, a cursor of its own (made by the calling thread,
    closed here); the texts become positions by Arrow's compute kernels (a hash lookup per column).
    DuckDB and Arrow let go of the interpreter while they work, so this runs on a thread of its own."""
    import pyarrow.compute as pc
    source, params = _source(org, year, unit)
    try:
        raw = cur.execute(f"SELECT {', '.join('e.' + c for c in columns)} {source}", params).to_arrow_table()
    finally:
        cur.close()
    coders = {
        "rowid": lambda c: _numbers(c, np.int64, 0), "unit": lambda c: c, "target": lambda c: c,
        "rule": lambda c: _position(c, [x.name for x in scheme.rules]),
        "status": lambda c: _position(c, STATUSES).astype(np.int8),
        "count": lambda c: _numbers(c, float, np.nan), "base_amount": lambda c: _numbers(c, float, np.nan),
        "role": lambda c: _position(c, scheme.roles),
        "source_level": lambda c: _position(c, SOURCE_LEVELS).astype(np.int16),
        "instruction_level": lambda c: _position(c, SOURCE_LEVELS).astype(np.int16),
        "aggravation": lambda c: _position(c, _aggravations(scheme)),
        "accountable": lambda c: _numbers(c, np.int64, 0),
        "mitigation_mode": lambda c: (_position(c, MITIGATION_MODES) + 1).astype(np.int8),
        "mitigation_code": lambda c: _numbers(c, np.int64, -1),
        "date": lambda c: _numbers(pc.cast(c, "int32"), np.int64, 0),
        "problem_key": _codes, "matter_key": _codes}
    return {RENAMED.get(c, c): coders[c](raw[c]) for c in columns}


RENAMED = {"unit": "unit_names", "target": "target_names", "source_level": "level", "instruction_level": "instruction",
           "date": "day", "problem_key": "problem", "matter_key": "matter"}


def _joined(halves: list[dict], again) -> dict:
    """The halves' columns side by side. Each half was scanned on a cursor of its own, so a record
    written between the two scans would leave them with different rows: then `again()` reads every
    column in one scan instead (DuckDB returns a table's rows in the order stored, so equal row ids
    in the same order are the normal case)."""
    first, second = halves
    if not np.array_equal(first["rowid"], second["rowid"]):
        return again()
    return {**second, **first}


def read(con, scheme: Scheme, org: str, year: int, unit: str | None = None) -> dict:
    """The year's rows (or one unit's), coded as far as they can be without the grid (see `_scan`).
    Read through cursors of their own, so what is committed (every caller scores outside its write
    transactions, as the ids fetched later are read too)."""
    return _joined([_scan(con.cursor(), scheme, org, year, unit, half) for half in HALVES],
                   lambda: _scan(con.cursor(), scheme, org, year, unit, COLUMNS))


_BACKGROUND = None
_BACKGROUND_LOCK = threading.Lock()


class Pending:
    """A `read` under way on two background threads, one per half of the columns."""

    def __init__(self, futures, again):
        self.futures, self.again = futures, again

    def result(self) -> dict:
        return _joined([f.result() for f in self.futures], self.again)


def read_soon(con, scheme: Scheme, org: str, year: int) -> Pending:
    """`read` started on two background threads: the caller reads the year's other, small tables
    meanwhile, and the machine's cores scan the ledger's two halves."""
    global _BACKGROUND
    with _BACKGROUND_LOCK:
        if _BACKGROUND is None:
            from concurrent.futures import ThreadPoolExecutor
            _BACKGROUND = ThreadPoolExecutor(max_workers=4, thread_name_prefix="perfcore-events")
    return Pending([_BACKGROUND.submit(_scan, con.cursor(), scheme, org, year, None, half) for half in HALVES],
                   lambda: _scan(con.cursor(), scheme, org, year, None, COLUMNS))


def load(con, scheme: Scheme, org: str, year: int, units, targets, unit: str | None = None, rows: dict | None = None) -> EventSet:
    """The year's events with a rule of the scheme, for the given units and targets (grid order).
    `rows` is what `read` returned, when the caller started it already."""
    rows = dict(rows if rows is not None else read(con, scheme, org, year, unit))
    u, t = _position(rows.pop("unit_names"), units), _position(rows.pop("target_names"), targets)
    source, params = _source(org, year, unit)
    keep = (u >= 0) & (t >= 0) & (rows["rule"] >= 0)
    if not keep.all():
        u, t = u[keep], t[keep]
        rows = {k: v[keep] for k, v in rows.items()}
    return EventSet(org=org, year=year, unit=u, target=t, aggravations=_aggravations(scheme), _query=(con, source, params),
                    **rows)
