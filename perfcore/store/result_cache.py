"""Each year's results (before history), kept in the database beside the data they come from.

A year's ranks, grades and composites are a pure function of its stored data and of the code
that scores it. So the results of the last scoring are kept per organisation and year, with
the data version they were computed from and a fingerprint of perfcore's own source: a new
server, a restarted one, or a second process finds them at once instead of scoring every year
again. Any change of the data (the data version moves with every write) or of the code (the
fingerprint) makes a kept result useless, and it is simply computed again and replaces it.

This is derived data, not the offices' data: it is never shown as a record, never audited, and
replacing it loses nothing. A read-only connection reads it but never writes it.
"""
from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from .connection import transaction

# Off: every scoring computes afresh (the benchmarks measure scoring, not this cache).
enabled = True


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """A hash of every source file of perfcore: any change of the code that scores gives another."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def get(con, org: str, year: int, version: int) -> pd.DataFrame | None:
    """The kept results of a year if they were computed from exactly this data version and code."""
    if not enabled:
        return None
    try:
        row = con.execute("SELECT results FROM result_cache WHERE org = ? AND year = ? AND data_version = ? AND engine = ?",
                          [org, year, version, engine_fingerprint()]).fetchone()
    except duckdb.CatalogException:          # a database made before the cache existed, opened read-only
        return None
    if row is None:
        return None
    import pyarrow.parquet as pq
    return pq.read_table(io.BytesIO(row[0])).to_pandas()


def put(con, org: str, year: int, version: int, results: pd.DataFrame) -> None:
    """Keep a year's results for this data version and code (replacing what was kept for the year)."""
    if not enabled:
        return
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(results, preserve_index=False), buffer)
    except (pa.ArrowException, TypeError, ValueError):
        return                                   # a frame parquet cannot hold: simply not kept
    try:
        with transaction(con, data=False):
            done = con.execute("UPDATE result_cache SET data_version = ?, engine = ?, results = ? WHERE org = ? AND year = ?",
                               [version, engine_fingerprint(), buffer.getvalue(), org, year]).fetchone()[0]
            if not done:
                con.execute("INSERT INTO result_cache VALUES (?, ?, ?, ?, ?)",
                            [org, year, version, engine_fingerprint(), buffer.getvalue()])
    except (duckdb.InvalidInputException, duckdb.CatalogException, duckdb.TransactionException):
        return                                   # a read-only connection, or a database without the table
