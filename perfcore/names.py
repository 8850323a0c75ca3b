"""Sorting Chinese names the way readers expect: by pinyin."""
from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=20000)
def pinyin_key(name: str) -> tuple:
    """Sort key: the pinyin of each character (tone-less), then the name itself."""
    return tuple(lazy_pinyin(str(name), style=Style.TONE3, errors="default")), str(name)


def sort_names(names) -> list[str]:
    """Names in pinyin order."""
    return sorted(names, key=pinyin_key)


def pinyin_ordinal(names):
    """Each name's position in pinyin order (equal names, equal positions), for sorting with numpy."""
    import numpy as np
    names = list(names)
    ordered = _positions(frozenset(names))
    return np.fromiter((ordered[n] for n in names), dtype=np.int64, count=len(names))


@lru_cache(maxsize=64)
def _positions(names: frozenset) -> dict:
    return {name: i for i, name in enumerate(sorted(names, key=pinyin_key))}
