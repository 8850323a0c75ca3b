"""A year's recorded events as compact arrays: what the event pipeline reads.

One scan per organisation-year reads the ledger's columns into Arrow, and Arrow's compute
kernels turn them into integer codes and numbers: the unit's and target's grid positions, the
rule's position in the scheme, the status, role, source level and aggravation, and codes for
problem and matter keys (equal codes for equal keys, exactly: 0 for none, else one more than
the key's position among the year's keys). Only the year's rows are read, once, which is what
keeps this near the cost of a bare aggregate.

Rows come in storage order; where order matters (ties broken by date, then id, as the rules
say), `chronological` sorts by the day and fetches ids only for the few events still tied on
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
    _query: tuple | None = field(default=None, repr=False)   # (connection, FROM … WHERE …, parameters, lookups)
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
        where = {p: i for i, p in enumerate(rows.tolist())}
        part._some_ids = {where[p]: v for p, v in self._some_ids.items() if p in where}
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

    def ties(self, rows: np.ndarray, *keys) -> np.ndarray:
        """The rows that share all `keys` and the date with another row: only their ids can order them."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) < 2:
            return rows[:0]
        columns = [np.asarray(k) for k in keys] + [self.day[rows]]
        order = np.lexsort(tuple(reversed(columns)))
        same = np.ones(len(rows) - 1, dtype=bool)
        for c in columns:
            c = c[order]
            same &= c[1:] == c[:-1]
        return rows[order[np.r_[same, False] | np.r_[False, same]]]

    def _fetch_ids(self, rowids):
        con, source, params, lookups = self._query
        cur = con.cursor()
        try:
            if rowids is None:
                with _registered(cur, lookups):
                    got = cur.execute(f"SELECT e.rowid AS rowid, e.event_id AS id {source}", params).fetchnumpy()
            else:   # a few rows: a semi-join on their row ids within the year
                import pyarrow as pa
                cur.register("_ev_rowids", pa.table({"rid": pa.array(np.asarray(rowids, dtype=np.int64))}))
                try:
                    got = cur.execute("SELECT e.rowid AS rowid, e.event_id AS id FROM events e WHERE e.org = ? AND e.year = ? "
                                      "AND e.rowid IN (SELECT rid FROM _ev_rowids)", params[:2]).fetchnumpy()
                finally:
                    cur.unregister("_ev_rowids")
        finally:
            cur.close()
        return np.asarray(got["rowid"], dtype=np.int64), np.asarray(got["id"], dtype=object)

    def chronological(self, rows: np.ndarray, *keys) -> np.ndarray:
        """`rows` (positions) sorted by `keys` (most significant first), then date, then id."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) < 2:
            return rows
        columns = [np.asarray(k) for k in keys] + [self.day[rows]]
        order = np.lexsort(tuple(reversed(columns)))
        same = np.ones(len(rows) - 1, dtype=bool)
        for c in columns:
            c = c[order]
            same &= c[1:] == c[:-1]
        if not same.any():
            return rows[order]
        tied = np.r_[same, False] | np.r_[False, same]
        id_rank = np.zeros(len(rows), dtype=np.int64)
        tied_at = order[tied]
        ids = self.ids_of(rows[tied_at]).astype("U")
        id_rank[tied_at] = np.argsort(np.argsort(ids, kind="stable"), kind="stable")
        return rows[np.lexsort((id_rank,) + tuple(reversed(columns)))]

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


ARRAYS = ("rowid", "unit", "target", "rule", "status", "count", "base_amount", "role", "level", "instruction", "aggravation",
          "accountable", "mitigation_mode", "mitigation_code", "day", "problem", "matter")


class _registered:
    """Register small lookup frames on a connection for one query."""

    def __init__(self, con, frames: dict):
        self.con, self.frames = con, frames

    def __enter__(self):
        for name, frame in self.frames.items():
            self.con.register(name, frame)

    def __exit__(self, *exc):
        for name in self.frames:
            self.con.unregister(name)


def _aligned(want: np.ndarray, rowid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` (keyed by `rowid`) in the order of `want`."""
    order = np.argsort(rowid)
    return values[order[np.searchsorted(rowid[order], want)]]


COLUMNS = ("rowid", "unit", "target", "rule", "status", "count", "base_amount", "role", "source_level", "instruction_level",
           "aggravation", "accountable", "mitigation_mode", "mitigation_code", "date", "problem_key", "matter_key")
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


def load(con, scheme: Scheme, org: str, year: int, units, targets, unit: str | None = None) -> EventSet:
    """The year's events with a rule of the scheme, for the given units and targets (grid order).

    DuckDB scans the year's rows once into Arrow; the texts become positions in Arrow's
    compute kernels (a hash lookup per column), the keys exact codes.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    aggravations = tuple(sorted({a for m in scheme.multipliers for a in m.aggravation}))
    where = "WHERE e.org = ? AND e.year = ?" + (" AND e.unit = ?" if unit is not None else "")
    params = [org, year] + ([unit] if unit is not None else [])
    source = f"FROM events e {where}"
    raw = con.execute(f"SELECT {', '.join('e.' + c for c in COLUMNS)} {source}", params).to_arrow_table()
    u, t = _position(raw["unit"], units), _position(raw["target"], targets)
    r = _position(raw["rule"], [x.name for x in scheme.rules])
    keep = (u >= 0) & (t >= 0) & (r >= 0)
    if not keep.all():
        raw, u, t, r = raw.filter(pa.array(keep)), u[keep], t[keep], r[keep]
    return EventSet(org=org, year=year, rowid=_numbers(raw["rowid"], np.int64, 0), unit=u, target=t, rule=r,
                    status=_position(raw["status"], STATUSES).astype(np.int8),
                    count=_numbers(raw["count"], float, np.nan), base_amount=_numbers(raw["base_amount"], float, np.nan),
                    role=_position(raw["role"], scheme.roles), level=_position(raw["source_level"], SOURCE_LEVELS).astype(np.int16),
                    instruction=_position(raw["instruction_level"], SOURCE_LEVELS).astype(np.int16),
                    aggravation=_position(raw["aggravation"], aggravations),
                    accountable=_numbers(raw["accountable"], np.int64, 0),
                    mitigation_mode=(_position(raw["mitigation_mode"], MITIGATION_MODES) + 1).astype(np.int8),
                    mitigation_code=_numbers(raw["mitigation_code"], np.int64, -1),
                    day=_numbers(pc.cast(raw["date"], "int32"), np.int64, 0),
                    problem=_codes(raw["problem_key"]), matter=_codes(raw["matter_key"]),
                    aggravations=aggravations, _query=(con, source, params, {}))
