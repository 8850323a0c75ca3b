"""A year's recorded events as compact arrays: what the event pipeline reads.

One query per organisation-year turns the ledger into integer codes and numbers: the unit's
and target's grid positions, the rule's position in the scheme, the status, role, source
level and aggravation, and codes for problem and matter keys. Only integers and numbers
cross from DuckDB, which is what keeps this near the cost of a bare aggregate.

The arrays are in the order that breaks every tie: date, then id (the order the rules speak
of), so a position is a rank in time. Problem and matter keys travel as DuckDB's 64-bit hashes
and are numbered in numpy; two different keys sharing a hash within one organisation-year is
about as likely as one in 10^11 for the largest ledgers (see docs/decisions.md). Event ids are
fetched only when a trace or a what-if needs them (`ids()`), by the same ordered query.

    events = load(con, scheme, org, year, units, targets)
    len(events), events.unit, events.target, events.rule, …
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ..vocab import SOURCE_LEVELS, STATUSES
from .scheme import Scheme

ORDER = "e.date, e.event_id"


@dataclass
class EventSet:
    """The events of one organisation-year (every status), as aligned arrays."""

    org: str
    year: int
    unit: np.ndarray          # grid position of the unit (only units evaluated that year)
    target: np.ndarray        # grid position of the indicator or pool
    rule: np.ndarray          # position in scheme.rules
    status: np.ndarray        # position in vocab.STATUSES, -1 for unknown
    count: np.ndarray
    base_amount: np.ndarray   # NaN where none was entered
    role: np.ndarray          # position in the scheme's roles, -1 for none or unknown
    level: np.ndarray         # position in vocab.SOURCE_LEVELS, -1 for unknown
    aggravation: np.ndarray   # position in `aggravations`, -1 for none or one no multiplier names
    accountable: np.ndarray
    mitigation_mode: np.ndarray   # 0 none, 1 exempt (免予), 2 reduce (减轻)
    mitigation_code: np.ndarray   # -1 for none
    day: np.ndarray           # days since 1970-01-01
    problem: np.ndarray       # 0 for none, else a code equal for equal problem keys
    matter: np.ndarray        # 0 for none, else a code equal for equal matter keys
    aggravations: tuple = ()
    _ids: np.ndarray | None = field(default=None, repr=False)
    _query: tuple | None = field(default=None, repr=False)   # (connection, FROM … WHERE …, parameters, lookups)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __len__(self) -> int:
        return len(self.unit)

    def ids(self) -> np.ndarray:
        """Every event's id, aligned with the arrays (one query on a cursor of its own, the first time).

        The same event set may be shared by several sessions; the lock makes the first fetch once.
        """
        with self._lock:
            if self._ids is None:
                con, source, params, lookups = self._query
                cur = con.cursor()
                try:
                    with _registered(cur, lookups):
                        got = cur.execute(f"SELECT e.event_id AS id {source} ORDER BY {ORDER}", params).fetchnumpy()
                finally:
                    cur.close()
                self._ids = np.asarray(got["id"], dtype=object)
        return self._ids

    def positions(self, event_ids) -> np.ndarray:
        """A mask of the events with the given ids."""
        wanted = set(map(str, event_ids))
        if not wanted:
            return np.zeros(len(self), dtype=bool)
        return np.fromiter((i in wanted for i in self.ids()), dtype=bool, count=len(self))

    def dates(self, pos) -> np.ndarray:
        return (np.datetime64("1970-01-01") + self.day[pos].astype("timedelta64[D]")).astype("datetime64[ns]")


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


def _frame(values, **extra):
    import pyarrow as pa
    values = list(values)
    return pa.table({"name": pa.array(values, type=pa.string()), "pos": pa.array(range(len(values)), type=pa.int32()),
                     **{k: pa.array(v) for k, v in extra.items()}})


def _case(column: str, values) -> str:
    """Position of a text in a short vocabulary, in SQL (-1 if absent)."""
    values = list(values)
    if not values:
        return "-1"
    whens = " ".join(f"WHEN '{str(v).replace(chr(39), chr(39) * 2)}' THEN {i}" for i, v in enumerate(values))
    return f"CASE {column} {whens} ELSE -1 END"


def _column(raw, name: str, dtype, fill=0):
    values = raw[name]
    if np.ma.isMaskedArray(values):
        values = values.astype(dtype).filled(fill)
    return np.asarray(values, dtype=dtype)


def _codes(hashes: np.ndarray) -> np.ndarray:
    """0 where there is no key (hash 0), else 1, 2, … equal for equal hashes."""
    out = np.zeros(len(hashes), dtype=np.int64)
    present = hashes != 0
    if present.any():
        out[present] = np.unique(hashes[present], return_inverse=True)[1] + 1
    return out


def load(con, scheme: Scheme, org: str, year: int, units, targets, unit: str | None = None) -> EventSet:
    """The year's events with a rule of the scheme, for the given units and targets (grid order)."""
    aggravations = tuple(sorted({a for m in scheme.multipliers for a in m.aggravation}))
    lookups = {"_ev_units": _frame(units), "_ev_targets": _frame(targets), "_ev_rules": _frame([r.name for r in scheme.rules])}
    where = "WHERE e.org = ? AND e.year = ?" + (" AND e.unit = ?" if unit is not None else "")
    params = [org, year] + ([unit] if unit is not None else [])
    source = ("FROM events e JOIN _ev_units u ON e.unit = u.name JOIN _ev_targets t ON e.target = t.name "
              f"JOIN _ev_rules r ON e.rule = r.name {where}")
    sql = f"""
    SELECT u.pos AS unit, t.pos AS target, r.pos AS rule, {_case('e.status', STATUSES)} AS status,
           e.count, e.base_amount, {_case('e.role', scheme.roles)} AS role, {_case('e.source_level', SOURCE_LEVELS)} AS level,
           {_case('e.aggravation', aggravations)} AS aggravation, coalesce(e.accountable, 0) AS accountable,
           CASE e.mitigation_mode WHEN 'exempt' THEN 1 WHEN 'reduce' THEN 2 ELSE 0 END AS mitigation_mode,
           coalesce(e.mitigation_code, -1) AS mitigation_code, date_diff('day', DATE '1970-01-01', e.date) AS day,
           CASE WHEN e.problem_key IS NULL THEN 0 ELSE hash(e.problem_key) END AS problem,
           CASE WHEN e.matter_key IS NULL THEN 0 ELSE hash(e.matter_key) END AS matter
    {source}
    ORDER BY {ORDER}"""
    with _registered(con, lookups):
        raw = con.execute(sql, params).fetchnumpy()
    return EventSet(org=org, year=year, unit=_column(raw, "unit", np.int32),
                    target=_column(raw, "target", np.int32), rule=_column(raw, "rule", np.int32),
                    status=_column(raw, "status", np.int8), count=_column(raw, "count", float, np.nan),
                    base_amount=_column(raw, "base_amount", float, np.nan), role=_column(raw, "role", np.int32),
                    level=_column(raw, "level", np.int16), aggravation=_column(raw, "aggravation", np.int32),
                    accountable=_column(raw, "accountable", np.int64),
                    mitigation_mode=_column(raw, "mitigation_mode", np.int8),
                    mitigation_code=_column(raw, "mitigation_code", np.int64), day=_column(raw, "day", np.int64),
                    problem=_codes(_column(raw, "problem", np.uint64)), matter=_codes(_column(raw, "matter", np.uint64)),
                    aggravations=aggravations, _query=(con, source, params, lookups))
