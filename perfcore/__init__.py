"""perfcore: the department performance evaluation (机关绩效考评), scored from DuckDB.

The library holds each office's evaluation data in DuckDB and computes indicator
scores, deductions, bonuses, composites, grades, ranks, movement and consequences
exactly as the office's scheme says. It never imports Streamlit.

Its subpackages follow the data one way:

    store/     DuckDB: the connection and schema, the audit log, read-only lookups
    engine/    the scheme, the event pipeline, scoring, grading, results, traces, what-if
    ingest/    the offices' tables: reading, checking, loading, importing, recording events
    workflow/  publishing a year, saved what-if scenarios
    insight/   the analyses: why a result changed, why one unit is above another, what it would take,
               how sure the ranking is, who is at risk (built on engine results, never SQL of their own)
    present/   frames, figures, exports and wording for screens and files

A module imports only from its own package, from the packages before it in that list
(engine needs nothing but a connection), and from the shared `errors` and `names`.
"""
from .engine.results import YearScore, load_scheme, orgs, score, years
from .engine.trace import explain
from .errors import InputError, NotFound, PerfcoreError, Problem
from .store.connection import connect

__all__ = ["InputError", "NotFound", "PerfcoreError", "Problem", "YearScore", "connect", "explain", "load_scheme",
           "orgs", "score", "years"]
