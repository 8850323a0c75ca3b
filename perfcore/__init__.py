"""perfcore: the department performance evaluation (机关绩效考评), scored from DuckDB.

The library holds each office's evaluation data in DuckDB and computes indicator
scores, deductions, bonuses, composites, grades, ranks, movement and consequences
exactly as the office's scheme says. It never imports Streamlit.
"""
from .errors import InputError, NotFound, PerfcoreError, Problem
from .results import YearScore, load_scheme, orgs, score, years
from .storage import connect
from .trace import explain

__all__ = ["InputError", "NotFound", "PerfcoreError", "Problem", "YearScore", "connect", "explain", "load_scheme",
           "orgs", "score", "years"]
