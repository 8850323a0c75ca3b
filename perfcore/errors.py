"""Bilingual, located input errors.

Every problem found in a source file names the file, the sheet (for workbooks),
the row and the column, the value found and what was expected, in Chinese and
English. Loaders collect all problems of a file before raising, so the office
fixes a workbook in one pass; nothing is written while any problem stands.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One located problem in a source file."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    zh: str
    en: str
    sheet: str | None = None

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def location_zh(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"「{self.column}」列")
        return "，".join(parts)

    def message(self) -> str:
        shown = "" if self.value is None else f" [{_short(self.value)}]"
        return f"{self.location_zh()}{shown}：{self.zh}\n  {self.location()}{shown}: {self.en}"

    def as_dict(self) -> dict:
        return {
            "file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
            "value": self.value, "zh": self.zh, "en": self.en,
        }


def _short(value: str, limit: int = 60) -> str:
    value = str(value)
    return value if len(value) <= limit else value[:limit] + "…"


def coalesce(problems: list[Problem], at_least: int = 3) -> list[Problem]:
    """One fault reported once: problems that differ only by row (the same file, sheet, column, value
    and message — a unit missing from the unit list, met on 265 ledger rows) become one problem
    at the first row, naming how many rows and which."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.file, p.sheet, p.column, p.value, p.zh, p.en), []).append(p)
    out, done = [], set()
    for p in problems:
        key = (p.file, p.sheet, p.column, p.value, p.zh, p.en)
        same = groups[key]
        if len(same) < at_least or p.row is None:
            out.append(p)
            continue
        if key in done:
            continue
        done.add(key)
        rows = sorted({q.row for q in same if q.row is not None})
        shown = "、".join(str(r) for r in rows[:8]) + ("…" if len(rows) > 8 else "")
        out.append(Problem(p.file, rows[0], p.column, p.value, f"{p.zh}（共 {len(rows)} 行：第 {shown} 行）",
                           f"{p.en} ({len(rows)} rows: {shown.replace('、', ', ')})", p.sheet))
    return out


def problems_frame(problems: list[Problem], lang: str = "zh"):
    """Problems as a table for a screen: sheet, row, column, value, and the message in one language."""
    import pandas as pd
    return pd.DataFrame([{"sheet": p.sheet or "", "row": "" if p.row is None else str(p.row), "column": p.column or "",
                          "value": "" if p.value is None else _short(p.value, 200), "problem": p.zh if lang == "zh" else p.en}
                         for p in problems], columns=["sheet", "row", "column", "value", "problem"])


class PerfcoreError(Exception):
    """Base class: a message meant for the office, in Chinese and English."""


class InputError(PerfcoreError):
    """One or more located problems in source data; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        head = (f"发现 {len(self.problems)} 个问题，未写入任何数据。"
                f" / {len(self.problems)} problem(s) found; nothing was written.")
        super().__init__(head + "\n" + "\n".join(p.message() for p in self.problems))


class NotFound(PerfcoreError):
    """A named organisation, year, unit or indicator does not exist."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


@dataclass
class Collector:
    """Gathers problems for one file; raise once at the end with `check()`."""

    file: str
    sheet: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(self, row, column, value, zh, en):
        self.problems.append(Problem(self.file, row, column, None if value is None else str(value), zh, en, self.sheet))

    def check(self):
        if self.problems:
            raise InputError(self.problems)
