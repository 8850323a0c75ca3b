"""Answers a leader asks for and no scorecard gives, built on the engine's results (never SQL of their own).

    parts      a unit's composite as lines that add up to it (records, limits, evaluations, rounding)
    change     why a unit's composite and rank changed since an earlier year (变化归因)
    compare    why one unit is above another in a year (对比)
    gap        what a unit would need for the next rank, series rank and grade; which appeals would move it (差距)
    robustness how sure the ranking is when the weights are uncertain (稳健性)
    forecast   where the year in progress is heading, and who is at risk (预警)
"""
