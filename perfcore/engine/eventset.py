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

from ..store.connection import committed
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
    _coming: object = field(default=None, repr=False)         # ids being fetched in the background (fetch_soon)

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

    def fetch_soon(self, pos: np.ndarray) -> None:
        """Start fetching the ids of some events on a background thread (`ids_of` waits for them)."""
        pos = np.asarray(pos, dtype=np.int64)
        if self._ids is None and self._coming is None and 0 < len(pos) <= 2000:
            self._coming = soon(self._fetch_some, pos)

    def _fetch_some(self, pos: np.ndarray) -> None:
        """Fetch the ids of the events at `pos` not fetched yet (one small query)."""
        with self._lock:
            missing = np.array([p for p in pos.tolist() if p not in self._some_ids], dtype=np.int64)
            if len(missing):
                rowid, ids = self._fetch_ids(self.rowid[missing])
                self._some_ids.update(zip(missing.tolist(), _aligned(self.rowid[missing], rowid, ids)))

    def ids_of(self, pos: np.ndarray) -> np.ndarray:
        """The ids of some events (a small query for those not fetched yet, unless every id is already here)."""
        coming, self._coming = self._coming, None
        if coming is not None:
            coming.result()
        pos = np.asarray(pos, dtype=np.int64)
        if self._ids is not None or len(pos) > 2000:
            return self.ids()[pos]
        self._fetch_some(pos)
        with self._lock:
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


# What a scan reads: the coded form of the texts (store.codes) and the numbers, in two halves of about
# equal cost scanned at once on two threads (each with the row id, to align them). A database whose
# rows are not coded (made before the codes, opened read-only) is read from the texts instead.
CODED = ("rowid", "code_unit", "code_target", "code_rule", "code_status", "count", "base_amount", "code_role", "code_level",
         "code_instruction", "code_aggravation", "accountable", "code_mitigation_mode", "mitigation_code", "date",
         "code_problem", "code_matter")
HALVES = (("rowid", "code_unit", "code_target", "code_rule", "code_status", "count", "base_amount", "code_level",
           "code_problem"),
          ("rowid", "code_role", "code_instruction", "code_aggravation", "accountable", "code_mitigation_mode",
           "mitigation_code", "date", "code_matter"))
TEXTS = ("rowid", "unit", "target", "rule", "status", "count", "base_amount", "role", "source_level", "instruction_level",
         "aggravation", "accountable", "mitigation_mode", "mitigation_code", "date", "problem_key", "matter_key")
MITIGATION_MODES = ("exempt", "reduce")   # stored words → mitigation_mode 1, 2 (0 for none)
NUMBERS = {"rowid": (np.int64, 0), "count": (float, np.nan), "base_amount": (float, np.nan), "accountable": (np.int64, 0),
           "mitigation_code": (np.int64, -1)}


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


def _fetch(cur, org: str, year: int, unit: str | None, columns):
    """The year's rows (or one unit's), some columns, as an Arrow table, through `cur` (closed here)."""
    source, params = _source(org, year, unit)
    try:
        return cur.execute(f"SELECT {', '.join('e.' + c for c in columns)} {source}", params).to_arrow_table()
    finally:
        cur.close()


def _scan(cur, org: str, year: int, unit: str | None, columns) -> dict | None:
    """Some columns of the year's rows in their coded form (`CODED`): codes and numbers as arrays, the
    date as days since 1970. None when a row is not coded (see store.codes) or the database has no codes.

    DuckDB scans the rows into Arrow through `cur`, a cursor of its own (made by the calling thread,
    closed here); it lets go of the interpreter while it works, so this runs on a thread of its own."""
    import duckdb
    import pyarrow.compute as pc
    try:
        raw = _fetch(cur, org, year, unit, columns)
    except duckdb.BinderException:          # a database made before the codes, opened read-only
        return None
    out = {}
    for c in columns:
        column = raw[c]
        if c.startswith("code_"):
            if column.null_count:
                return None
            out[c] = column.to_numpy()
        elif c == "date":
            out["day"] = _numbers(pc.cast(column, "int32"), np.int64, 0)
        else:
            out[c] = _numbers(column, *NUMBERS[c])
    return out


def _scan_texts(cur, scheme: Scheme, org: str, year: int, unit: str | None) -> dict:
    """The year's rows read from their texts, for a database without codes: every text a position (or, for
    keys, an exact code), except the unit and target names, which need the year's units and targets."""
    import pyarrow.compute as pc
    raw = _fetch(cur, org, year, unit, TEXTS)
    coders = {
        "unit": lambda c: c, "target": lambda c: c,
        "rule": lambda c: _position(c, [x.name for x in scheme.rules]),
        "status": lambda c: _position(c, STATUSES).astype(np.int8),
        "role": lambda c: _position(c, scheme.roles),
        "source_level": lambda c: _position(c, SOURCE_LEVELS).astype(np.int16),
        "instruction_level": lambda c: _position(c, SOURCE_LEVELS).astype(np.int16),
        "aggravation": lambda c: _position(c, _aggravations(scheme)),
        "mitigation_mode": lambda c: (_position(c, MITIGATION_MODES) + 1).astype(np.int8),
        "date": lambda c: _numbers(pc.cast(c, "int32"), np.int64, 0),
        "problem_key": _codes, "matter_key": _codes}
    return {RENAMED.get(c, c): coders[c](raw[c]) if c in coders else _numbers(raw[c], *NUMBERS[c]) for c in TEXTS}


RENAMED = {"unit": "unit_names", "target": "target_names", "source_level": "level", "instruction_level": "instruction",
           "date": "day", "problem_key": "problem", "matter_key": "matter"}


def _joined(halves: list, again, mark: int) -> dict:
    """The halves' columns side by side. Each half was scanned on a cursor of its own, so a change
    committed between the two scans would leave them with different rows, or a row with its old
    columns in one half and its new ones in the other: then `again()` reads every column in one
    scan instead. Only this process can commit while it reads the file (DuckDB's lock), so a change
    shows as `connection.committed()` moving on from `mark`, its value before the scans. A half that
    found rows not coded (None) is read again too."""
    first, second = halves
    if first is None or second is None or committed() != mark or not np.array_equal(first["rowid"], second["rowid"]):
        return again()
    return {**second, **first}


def _whole(con, scheme: Scheme, org: str, year: int, unit: str | None) -> dict:
    """Every column in one scan: coded, or from the texts where the rows are not coded."""
    found = _scan(con.cursor(), org, year, unit, CODED)
    return found if found is not None else _scan_texts(con.cursor(), scheme, org, year, unit)


def read(con, scheme: Scheme, org: str, year: int, unit: str | None = None) -> dict:
    """The year's rows (or one unit's), coded as far as they can be without the grid and the scheme (see
    `_scan`). Read through cursors of their own, so what is committed (every caller scores outside its
    write transactions, as the ids fetched later are read too)."""
    mark = committed()
    return _joined([_scan(con.cursor(), org, year, unit, half) for half in HALVES],
                   lambda: _whole(con, scheme, org, year, unit), mark)


_BACKGROUND = None
_BACKGROUND_LOCK = threading.Lock()


class Pending:
    """A `read` under way on two background threads, one per half of the columns."""

    def __init__(self, futures, again, mark: int):
        self.futures, self.again, self.mark = futures, again, mark

    def result(self, scheme: Scheme) -> dict:
        """The rows, once read (`scheme` is what a database without codes is read with)."""
        return _joined([f.result() for f in self.futures], lambda: self.again(scheme), self.mark)


def soon(fn, *args):
    """`fn(*args)` started on a background thread (a Future). DuckDB lets go of the interpreter while it
    works, so a read there runs beside the caller's work; each read needs a cursor of its own."""
    global _BACKGROUND
    with _BACKGROUND_LOCK:
        if _BACKGROUND is None:
            from concurrent.futures import ThreadPoolExecutor
            _BACKGROUND = ThreadPoolExecutor(max_workers=6, thread_name_prefix="perfcore-read")
    return _BACKGROUND.submit(fn, *args)


def read_soon(con, org: str, year: int) -> Pending:
    """`read` started on two background threads: the caller reads the scheme and the year's other,
    small tables meanwhile, and the machine's cores scan the ledger's two halves."""
    mark = committed()
    return Pending([soon(_scan, con.cursor(), org, year, None, half) for half in HALVES],
                   lambda scheme: _whole(con, scheme, org, year, None), mark)


def _table(codes: dict, values) -> tuple[np.ndarray, np.ndarray]:
    """A lookup from codes to positions in `values`: (the codes of those coded, their positions)."""
    at = np.fromiter((codes.get(v, -1) for v in values), dtype=np.int64, count=len(values))
    found = np.flatnonzero(at >= 0)
    return at[found], found.astype(np.int32)


def _decode(column: np.ndarray, table: tuple, top: int, missing: int = -1) -> np.ndarray:
    """Codes → positions through a lookup from `_table` (`missing` for a code not in it, and for 0: no
    text; of two equal values the first's position, as the texts' lookup gives). `top` is the highest
    code the dictionary holds."""
    found, positions = table
    lut = np.full(top + 1, missing, dtype=np.int32)
    lut[found[::-1]] = positions[::-1]
    return lut.take(column)


def _positions(con, scheme: Scheme, rows: dict, units, targets) -> dict:
    """A coded scan's codes turned into the positions the pipeline reads: the unit's and target's in the
    grid, the rule's and role's in the scheme, the status's and levels' in the vocabulary."""
    from ..store import codes as stored
    rules, roles, aggravations = [r.name for r in scheme.rules], list(scheme.roles), _aggravations(scheme)
    cur = con.cursor()
    try:
        known = stored.known(cur)
    finally:
        cur.close()
    top = max(known.values(), default=0)
    words = [c for c in rows if c.startswith("code_") and c not in ("code_problem", "code_matter")]
    if any(len(rows[c]) and (rows[c].min() < 0 or rows[c].max() > top) for c in words) or \
            any(len(rows[c]) and rows[c].min() < 0 for c in ("code_problem", "code_matter")):
        return None                       # codes this dictionary never gave: the caller reads the texts instead
    out = {k: v for k, v in rows.items() if not k.startswith("code_")}
    out["unit"] = _decode(rows["code_unit"], _table(known, units), top)
    out["target"] = _decode(rows["code_target"], _table(known, targets), top)
    out["rule"] = _decode(rows["code_rule"], _table(known, rules), top)
    out["status"] = _decode(rows["code_status"], _table(known, STATUSES), top).astype(np.int8)
    out["role"] = _decode(rows["code_role"], _table(known, roles), top)
    levels = _table(known, SOURCE_LEVELS)
    out["level"] = _decode(rows["code_level"], levels, top).astype(np.int16)
    out["instruction"] = _decode(rows["code_instruction"], levels, top).astype(np.int16)
    out["aggravation"] = _decode(rows["code_aggravation"], _table(known, aggravations), top)
    out["mitigation_mode"] = (_decode(rows["code_mitigation_mode"], _table(known, MITIGATION_MODES), top) + 1).astype(np.int8)
    out["problem"] = rows["code_problem"].astype(np.int64)
    out["matter"] = rows["code_matter"].astype(np.int64)
    return out


def load(con, scheme: Scheme, org: str, year: int, units, targets, unit: str | None = None, rows: dict | None = None) -> EventSet:
    """The year's events with a rule of the scheme, for the given units and targets (grid order).
    `rows` is what `read` returned, when the caller started it already."""
    rows = dict(rows if rows is not None else read(con, scheme, org, year, unit))
    if "unit_names" not in rows:
        decoded = _positions(con, scheme, rows, units, targets)
        rows = decoded if decoded is not None else _scan_texts(con.cursor(), scheme, org, year, unit)
    if "unit_names" in rows:                      # read from the texts
        u, t = _position(rows.pop("unit_names"), units), _position(rows.pop("target_names"), targets)
    else:
        u, t = rows.pop("unit"), rows.pop("target")
    source, params = _source(org, year, unit)
    keep = (u >= 0) & (t >= 0) & (rows["rule"] >= 0)
    if not keep.all():
        u, t = u[keep], t[keep]
        rows = {k: v[keep] for k, v in rows.items()}
    return EventSet(org=org, year=year, unit=u, target=t, aggravations=_aggravations(scheme), _query=(con, source, params),
                    **rows)
