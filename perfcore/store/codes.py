"""The texts of an event that scoring reads, kept beside them as numbers.

Every event row holds, beside its texts (unit, indicator or pool, rule, status, source level, …),
one integer per text: the text's code, 0 where the text is empty (NULL). Names and words are
coded in `text_codes`, problem and matter keys in `key_codes`; both only grow, so a code once
given means the same text for as long as the database lives. Scoring reads the numbers (a
year's ledger comes out of storage several times faster than its texts) and turns them into
grid and scheme positions through the codes of the year's units, targets and the scheme's words.

Each row also keeps a fingerprint of the texts it was coded from (`code_hash`, DuckDB's hash of
them). Rows are coded when their data is committed: `fill` runs in every data transaction
(`connection.touch`) and when a database is opened for writing, and codes every row without codes
(a new row, a row `ledger.supersede_event` changed) and every row whose texts no longer match
their fingerprint, however they were changed (a program's own SQL, an older version of perfcore).
A database made before the codes existed is coded when it is first opened for writing. `check`
compares every row's codes with its texts.
"""
from __future__ import annotations

import hashlib
import json
import threading

# text column → its code column; the names and words (coded in text_codes), then the keys (key_codes)
WORDS = (("unit", "code_unit"), ("target", "code_target"), ("rule", "code_rule"), ("status", "code_status"),
         ("source_level", "code_level"), ("instruction_level", "code_instruction"),
         ("aggravation", "code_aggravation"), ("role", "code_role"), ("mitigation_mode", "code_mitigation_mode"))
KEYS = (("problem_key", "code_problem"), ("matter_key", "code_matter"))
CODED = WORDS + KEYS
FINGERPRINT = f"hash({', '.join(text for text, _ in CODED)})"     # of the texts a row's codes were made from
COLUMNS = tuple(code for _, code in CODED) + ("code_hash",)
# for queries that list an event's own fields: SELECT * {EXCLUDE} FROM events
EXCLUDE = f"EXCLUDE ({', '.join(COLUMNS)})"

DDL = """
CREATE TABLE IF NOT EXISTS text_codes (code INTEGER PRIMARY KEY, text TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS key_codes (code INTEGER PRIMARY KEY, text TEXT UNIQUE NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('codes_digest', 0);
"""
MIGRATIONS = tuple(("events", code, "INTEGER") for _, code in CODED) + (("events", "code_hash", "UBIGINT"),)

# a row to code: none yet, or its texts changed since (every coded row has a unit code, 0 at least)
PENDING = f"code_unit IS NULL OR code_hash IS DISTINCT FROM {FINGERPRINT}"


def _add_texts(con, table: str, pairs, where: str) -> list[tuple]:
    """Give the texts of `pairs`' columns, in the rows `where` selects, codes in `table` where they have
    none. Returns the new (code, text) pairs."""
    texts = ", ".join(text for text, _ in pairs)
    return con.execute(f"""
        INSERT INTO {table}
        SELECT (SELECT coalesce(max(code), 0) FROM {table}) + row_number() OVER (ORDER BY t), t
        FROM (SELECT DISTINCT unnest([{texts}]) AS t FROM events WHERE {where})
        WHERE t IS NOT NULL AND t NOT IN (SELECT text FROM {table})
        RETURNING code, text""").fetchall()


def _digest(previous: int, new: list[tuple]) -> int:
    """The names and words' dictionary's digest after `new` (code, text) pairs were added to it: a
    chained SHA-256 (63 bits) of the pairs, each written unambiguously, so equal digests mean equal
    dictionaries."""
    h = hashlib.sha256(str(previous).encode())
    for code, text in sorted(new):
        h.update(json.dumps([code, text], ensure_ascii=False).encode() + b"\n")
    return int.from_bytes(h.digest()[:8], "big") >> 1


def _lookup(table: str, text: str) -> str:
    return f"coalesce((SELECT c.code FROM {table} c WHERE c.text = events.{text}), 0)"


def fill(con) -> int:
    """Code every event row not coded yet (inside the caller's transaction). Returns how many."""
    pending = con.execute(f"SELECT count(*) FROM events WHERE {PENDING}").fetchone()[0]
    if not pending:
        return 0
    new = _add_texts(con, "text_codes", WORDS, PENDING)
    if new:
        previous = con.execute("SELECT value FROM meta WHERE key = 'codes_digest'").fetchone()[0]
        con.execute("UPDATE meta SET value = ? WHERE key = 'codes_digest'", [_digest(previous, new)])
    _add_texts(con, "key_codes", KEYS, PENDING)
    sets = [f"{code} = {_lookup('text_codes', text)}" for text, code in WORDS]
    sets += [f"{code} = {_lookup('key_codes', text)}" for text, code in KEYS]
    con.execute(f"UPDATE events SET {', '.join(sets)}, code_hash = {FINGERPRINT} WHERE {PENDING}")
    return int(pending)


# the SET clause that marks the rows an UPDATE changes as not coded (`fill` codes them again at the commit)
UNCODED = ", ".join(f"{code} = NULL" for code in COLUMNS)


_KNOWN: dict = {}          # the dictionary's digest -> every name and word coded in it (text -> code)
_KNOWN_LOCK = threading.Lock()


def known(con) -> dict:
    """Every name and word coded so far in this database, text → code.

    Kept per digest of the dictionary (`fill` moves it on with every text it codes), so a copy of a
    database, or another file in its place, is never read with codes that are not its own. A
    dictionary not kept yet is read with its digest in one statement: one moment of the database."""
    row = con.execute("SELECT value FROM meta WHERE key = 'codes_digest'").fetchone()
    if row is None:                       # a database made before the codes, opened read-only
        return dict(con.execute("SELECT text, code FROM text_codes").fetchall())
    with _KNOWN_LOCK:
        found = _KNOWN.get(row[0])
    if found is not None:
        return found
    rows = con.execute("SELECT d.value, c.text, c.code FROM (SELECT value FROM meta WHERE key = 'codes_digest') d "
                       "LEFT JOIN text_codes c ON TRUE").fetchall()
    found = {text: code for _, text, code in rows if text is not None}
    with _KNOWN_LOCK:
        _KNOWN[rows[0][0]] = found
        while len(_KNOWN) > 8:
            _KNOWN.pop(next(iter(_KNOWN)))
    return found


def forget() -> None:
    """Forget the codes kept (benchmarks measuring a first read)."""
    with _KNOWN_LOCK:
        _KNOWN.clear()


def check(con) -> list[tuple]:
    """Rows whose codes do not decode to their texts: (org, year, event id, column). Empty when all agree."""
    wrong = []
    for table, pairs in (("text_codes", WORDS), ("key_codes", KEYS)):
        for text, code in pairs:
            wrong += con.execute(f"""
                SELECT e.org, e.year, e.event_id, '{text}' FROM events e LEFT JOIN {table} c ON c.code = e.{code}
                WHERE e.{code} IS NULL OR (e.{text} IS NULL) <> (e.{code} = 0)
                   OR (e.{code} <> 0 AND c.text IS DISTINCT FROM e.{text})
                ORDER BY 1, 2, 3""").fetchall()
    return wrong
