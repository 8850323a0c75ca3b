"""Where the evaluation lives: one embedded DuckDB file.

The default file is data/perfcore.duckdb beside the sample data, overridden by
the PERFCORE_DB environment variable or an explicit path.

Writes are serialised: every change runs in `transaction`, which holds one lock for
the whole process (DuckDB itself lets only one process write a file), so record ids,
versions and the audit log's hash chain are allocated without races. Readers never wait.
No stored row is ever deleted: tables of the offices' data carry a version and a
`retired` flag, and earlier versions are kept (see `versions`).
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb

from . import codes

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SOURCE = ROOT / "data"
DEFAULT_DB = DEFAULT_SOURCE / "perfcore.duckdb"

DDL = """
CREATE TABLE IF NOT EXISTS orgs (org TEXT PRIMARY KEY, source TEXT, loaded_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS units (
    org TEXT, unit TEXT, series TEXT, level TEXT, parent TEXT, principal TEXT, leader_in_charge TEXT,
    first_year INTEGER, last_year INTEGER, PRIMARY KEY (org, unit));
CREATE TABLE IF NOT EXISTS schemes (org TEXT, year INTEGER, scheme_toml TEXT, PRIMARY KEY (org, year));
CREATE TABLE IF NOT EXISTS indicators (
    org TEXT, year INTEGER, indicator TEXT, category TEXT, category_points DOUBLE,
    first_level TEXT, first_level_points DOUBLE, points DOUBLE, mode TEXT,
    collector TEXT, leader TEXT, section TEXT, person TEXT, allow_overflow BOOLEAN, note TEXT, ord INTEGER,
    method TEXT, PRIMARY KEY (org, year, indicator));
CREATE TABLE IF NOT EXISTS indicator_scores (
    org TEXT, year INTEGER, unit TEXT, indicator TEXT, score DOUBLE, scorer TEXT,
    PRIMARY KEY (org, year, unit, indicator));
CREATE TABLE IF NOT EXISTS assignments (
    org TEXT, year INTEGER, unit TEXT, indicator TEXT, item TEXT, target_value DOUBLE, actual_value DOUBLE,
    milestone DOUBLE, PRIMARY KEY (org, year, unit, indicator, item));
CREATE TABLE IF NOT EXISTS events (
    org TEXT, year INTEGER, event_id TEXT, date DATE, unit TEXT, target TEXT, rule TEXT,
    source_level TEXT, channel TEXT, count DOUBLE, base_amount DOUBLE, aggravation TEXT, role TEXT,
    accountable INTEGER, mitigation_code INTEGER, mitigation_mode TEXT, mitigation_reason TEXT,
    problem_key TEXT, matter_key TEXT, evidence TEXT, status TEXT, description TEXT,
    PRIMARY KEY (org, year, event_id));
CREATE TABLE IF NOT EXISTS evaluations (
    org TEXT, year INTEGER, unit TEXT, kind TEXT, aspect TEXT, score DOUBLE, max_score DOUBLE,
    PRIMARY KEY (org, year, unit, kind, aspect));
CREATE TABLE IF NOT EXISTS vetoes (
    org TEXT, year INTEGER, unit TEXT, category TEXT, date DATE, description TEXT, evidence TEXT);
CREATE TABLE IF NOT EXISTS outside_ranks (
    org TEXT, year INTEGER, unit TEXT, ranking TEXT, position INTEGER, ranked INTEGER, evidence TEXT, description TEXT,
    PRIMARY KEY (org, year, unit, ranking));
CREATE TABLE IF NOT EXISTS progress (
    org TEXT, year INTEGER, unit TEXT, period TEXT, indicator TEXT, percent DOUBLE, progress TEXT,
    problems TEXT, next_steps TEXT, reporter TEXT, report_date DATE,
    PRIMARY KEY (org, year, unit, period, indicator));
CREATE TABLE IF NOT EXISTS event_versions (
    org TEXT, year INTEGER, event_id TEXT, version INTEGER, superseded_at TIMESTAMP, row_json TEXT,
    PRIMARY KEY (org, year, event_id, version));
CREATE SEQUENCE IF NOT EXISTS audit_seq;
CREATE TABLE IF NOT EXISTS audit_log (
    id BIGINT DEFAULT nextval('audit_seq') PRIMARY KEY, changed_at TIMESTAMP, who TEXT, action TEXT, org TEXT, year INTEGER,
    entity TEXT, entity_id TEXT, before_json TEXT, after_json TEXT, why TEXT, via TEXT);
CREATE TABLE IF NOT EXISTS publications (
    org TEXT, year INTEGER, published_at TIMESTAMP, published_by TEXT, note TEXT, scheme_toml TEXT,
    results_json TEXT, fingerprint TEXT, data_json TEXT, PRIMARY KEY (org, year, published_at));
CREATE TABLE IF NOT EXISTS scenarios (
    org TEXT, year INTEGER, name TEXT, spec TEXT, saved_at TIMESTAMP, PRIMARY KEY (org, year, name));
CREATE TABLE IF NOT EXISTS row_versions (
    entity TEXT, org TEXT, year INTEGER, row_key TEXT, version INTEGER, superseded_at TIMESTAMP, row_json TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BIGINT);
INSERT OR IGNORE INTO meta VALUES ('data_version', 0);
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY, role TEXT, org TEXT, unit TEXT, collector TEXT, email TEXT, password_hash TEXT,
    disabled BOOLEAN DEFAULT FALSE, failed_sign_ins INTEGER DEFAULT 0, locked_until TIMESTAMP, last_sign_in TIMESTAMP,
    created_at TIMESTAMP, version INTEGER DEFAULT 1, changed_at TIMESTAMP, changed_by TEXT);
CREATE TABLE IF NOT EXISTS feedback_windows (
    org TEXT, year INTEGER, opened_at TIMESTAMP, opened_by TEXT, closes_on DATE, closed_at TIMESTAMP, closed_by TEXT,
    note TEXT, PRIMARY KEY (org, year, opened_at));
CREATE SEQUENCE IF NOT EXISTS appeal_seq;
CREATE TABLE IF NOT EXISTS appeals (
    appeal_id BIGINT DEFAULT nextval('appeal_seq') PRIMARY KEY, org TEXT, year INTEGER, event_id TEXT, unit TEXT,
    filed_by TEXT, filed_at TIMESTAMP, reason TEXT, evidence TEXT, status_before TEXT, attachment_name TEXT,
    attachment BLOB, decision TEXT, decided_by TEXT, decided_at TIMESTAMP, decision_reason TEXT,
    version INTEGER DEFAULT 1);
CREATE TABLE IF NOT EXISTS self_assessments (
    org TEXT, year INTEGER, unit TEXT, indicator TEXT, score DOUBLE, note TEXT,
    PRIMARY KEY (org, year, unit, indicator));
CREATE TABLE IF NOT EXISTS demo_accounts (name TEXT PRIMARY KEY, password TEXT);
CREATE TABLE IF NOT EXISTS result_cache (
    org TEXT, year INTEGER, data_version BIGINT, engine TEXT, results BLOB, PRIMARY KEY (org, year));
CREATE SEQUENCE IF NOT EXISTS archive_seq;
CREATE TABLE IF NOT EXISTS archives (
    id BIGINT DEFAULT nextval('archive_seq') PRIMARY KEY, archived_at TIMESTAMP, who TEXT, org TEXT, why TEXT,
    counts_json TEXT, data_json TEXT);
"""

# Tables holding one organisation's data, in the order they are written.
DATA_TABLES = ("units", "schemes", "indicators", "indicator_scores", "assignments", "events",
               "evaluations", "vetoes", "progress", "outside_ranks")
# Of those, the ones whose rows are versioned and retired (never deleted) by imports; events
# keep their own history (event_versions) and are revoked by status.
VERSIONED_TABLES = ("units", "indicators", "indicator_scores", "assignments", "evaluations", "vetoes", "progress",
                    "self_assessments", "outside_ranks")
# Bookkeeping columns of the versioned tables: not part of a row's content.
ROW_META = ("version", "retired", "changed_at", "changed_by")

# Columns added after the first release (databases made by an earlier version gain them).
MIGRATIONS = (("events", "version", "INTEGER DEFAULT 1"), ("events", "revoked_reason", "TEXT"),
              ("events", "updated_at", "TIMESTAMP"), ("events", "updated_by", "TEXT"), ("indicators", "method", "TEXT"),
              ("events", "carried_over", "BOOLEAN DEFAULT FALSE"),
              ("publications", "data_json", "TEXT"), ("publications", "reason", "TEXT"),
              ("publications", "audit_head", "TEXT"),
              ("audit_log", "prev_hash", "TEXT"), ("audit_log", "row_hash", "TEXT"),
              ("scenarios", "version", "INTEGER DEFAULT 1"), ("scenarios", "retired", "BOOLEAN DEFAULT FALSE"),
              ("events", "instruction_level", "TEXT"), ("assignments", "prior_value", "DOUBLE"), ("vetoes", "people", "TEXT"),
              ) + tuple((table, column, kind) for table in VERSIONED_TABLES for column, kind in (
                  ("version", "INTEGER DEFAULT 1"), ("retired", "BOOLEAN DEFAULT FALSE"), ("changed_at", "TIMESTAMP"),
                  ("changed_by", "TEXT"))) + codes.MIGRATIONS

# One writer at a time in this process; DuckDB's file lock keeps other processes out.
WRITE_LOCK = threading.RLock()
_COMMITTED = [0]


def committed() -> int:
    """A count that moves on after every data change this process commits, on any connection (and
    at every `touch`). While it stays the same, no data version has moved (DuckDB's file lock makes
    this process the only writer of the files it has open), so a caller may keep the version it last
    read instead of asking again."""
    return _COMMITTED[0]


@contextmanager
def transaction(con, data: bool = True):
    """All or nothing, one writer at a time: commit when the block ends, roll back if it raises.

    Checks that depend on what is stored (is this id free? which version is current?) belong
    inside the block, so that no other writer can change the answer before the commit.
    `data=False` for changes no score or frame depends on (accounts, sign-ins): the data
    version stays, and nothing computed goes stale.
    """
    with WRITE_LOCK:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            if data:
                touch(con)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        if data:
            _COMMITTED[0] += 1         # after the commit: a version read before it is asked for again


def touch(con) -> None:
    """Move the data version on: anything computed from the stored data before is stale.

    Every change made through perfcore does this inside its transaction; a program that
    writes the tables with its own SQL must call it too, or cached scores stay as they were.
    It also codes every event row that is new or whose texts changed since it was coded
    (`codes.fill`), however it was written.
    """
    codes.fill(con)
    con.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")
    with WRITE_LOCK:
        _COMMITTED[0] += 1


def data_version(con) -> tuple:
    """What identifies the stored data as it is now: the database file and its data version.

    (None, …) or (…, None) means "cannot tell" (an in-memory database, an old file opened
    read-only): nothing computed from it may be reused.
    """
    try:
        return con.execute("SELECT (SELECT path FROM duckdb_databases() WHERE database_name = current_database()), "
                           "(SELECT value FROM meta WHERE key = 'data_version')").fetchone()
    except duckdb.CatalogException:
        path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
        return path, None


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file: explicit path, else $PERFCORE_DB, else data/perfcore.duckdb."""
    if path:
        return Path(path)
    env = os.environ.get("PERFCORE_DB")
    return Path(env) if env else DEFAULT_DB


def connect(path: str | os.PathLike | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database, with extension downloads switched off."""
    target = db_path(path)
    if str(target) != ":memory:":
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(target), read_only=read_only,
                             config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            from ..errors import PerfcoreError
            raise PerfcoreError(f"数据库 {target} 正被另一个程序（例如正在运行的仪表盘）使用，请先关闭它或另指定 --db。"
                                f" / database {target} is in use by another process (such as the running dashboard); "
                                "close it or choose another --db.") from exc
        raise
    con.execute("SET enable_progress_bar = false")     # long statements draw no bar on the terminal
    if not read_only:
        con.execute(DDL + codes.DDL)
        for table, column, kind in MIGRATIONS:   # databases made by an earlier version gain the new columns
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
        with WRITE_LOCK:                         # and their events the codes scoring reads
            con.execute("BEGIN TRANSACTION")
            try:
                codes.fill(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
    return con


def is_empty(con) -> bool:
    """Whether the database holds no organisation at all (a fresh file)."""
    return con.execute("SELECT count(*) FROM orgs").fetchone()[0] == 0
