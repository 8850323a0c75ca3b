"""Words on screens and charts, in Simplified Chinese (default) and English."""
from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("机关绩效考评", "Performance Evaluation"),
    "org": ("考评组织", "Organisation"),
    "year": ("年度", "Year"),
    "series": ("系列", "Series"),
    "all_series": ("全部系列", "All series"),
    "lang": ("语言", "Language"),
    "unit": ("单位", "Unit"),
    "rank": ("名次", "Rank"),
    "series_rank": ("系列名次", "Series rank"),
    "composite": ("综合得分", "Composite"),
    "grade": ("等次", "Grade"),
    "movement": ("升降", "Movement"),
    "veto": ("一票否决", "Veto"),
    "prev_rank": ("上年名次", "Last year's rank"),
    "points": ("分值", "Points"),
    "score": ("得分", "Score"),
    "indicator": ("指标", "Indicator"),
    "category": ("项目", "Category"),
    "attainment": ("得分率", "Attainment"),
    "series_avg": ("系列平均", "Series average"),
    "below_avg": ("低于系列平均", "Below the series average"),
    "not_below_avg": ("不低于系列平均", "At or above the series average"),
    "new": ("新", "new"),
    "flat": ("持平", "no change"),
    "up": ("上升{n}位", "up {n}"),
    "down": ("下降{n}位", "down {n}"),
    "list_sep": ("、", ", "),           # between the items of a list: 甲、乙 / A, B
    "item_sep": ("；", "; "),           # between clauses that each say something: count: 1 → 2；status: …
    "notice_line": ("{unit}：{before} → {after}，{words}", "{unit}: {before} → {after}, {words}"),
    "notice_new": ("{unit}：{after}", "{unit}: {after}"),
    "full_points": ("满分", "Full points"),
    "loss": ("失分：{x}", "Lost: {x}"),
    "other_indicators": ("其他指标", "Other indicators"),
    "count": ("单位数", "Units"),
    "month": ("月份", "Month"),
    "source_level": ("来源层级", "Source level"),
    "amount": ("实计分值", "Amount counted"),
    "deducted": ("扣分", "Deducted"),
    "added": ("加分", "Added"),
    "period": ("报告期", "Period"),
    "percent": ("完成进度", "Progress"),
    "expected": ("序时进度", "Expected by now"),
    "status": ("状态", "Status"),
    "on_track": ("按序时推进", "On track"),
    "behind": ("略有滞后", "Behind"),
    "at_risk": ("明显滞后", "At risk"),
    "official": ("正式结果", "Official"),
    "simulated": ("模拟结果", "Simulated"),
    "rank_delta": ("名次变化", "Rank change"),
    "grade_change": ("等次变化", "Grade change"),
    "units_in_cell": ("单位数", "Units"),
    "add": ("新增", "added"),
    "edit": ("修改", "edited"),
    "revoke": ("撤销", "revoked"),
    "import-add": ("导入新增", "imported (new)"),
    "import-edit": ("导入修改", "imported (changed)"),
    "import-revoke": ("导入撤销", "imported (revoked)"),
    "import-remove": ("导入删除", "imported (removed)"),
    "publish": ("发布", "published"),
    "republish": ("再次发布", "published again"),
    "reinstate": ("恢复", "reinstated"),
    "import-reinstate": ("导入恢复", "imported (reinstated)"),
    "import-retire": ("导入停用", "imported (retired)"),
    "init": ("建库", "database built"),
    "replace": ("替换重建", "rebuilt (replaced)"),
    "scenario-save": ("保存模拟方案", "scenario saved"),
    "scenario-delete": ("删除模拟方案", "scenario deleted"),
}


def t(key: str, lang: str = "zh", **kwargs) -> str:
    """The text for `key` in `lang` ('zh' or 'en'), formatted with kwargs."""
    zh, en = TEXT[key]
    return (en if lang == "en" else zh).format(**kwargs)


def label(zh: str, en: str, lang: str) -> str:
    """A scheme-given label in the current language (English falls back to Chinese)."""
    return en if lang == "en" and en else zh
