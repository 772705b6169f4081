"""Number and label formatting for Japanese screens and exports."""
from __future__ import annotations

import math
from typing import Any

from kpi.kinds import KINDS, STATUSES
from kpi.policy import Indicator, Target


def number(x: float | None, digits: int | None = None) -> str:
    """1,234 / 24.9 / －; integers lose their .0."""
    if x is None:
        return "－"
    if digits is None:
        digits = 0 if float(x).is_integer() else 1
    return f"{x:,.{digits}f}"


def with_unit(x: float | None, unit: str, digits: int | None = None) -> str:
    if x is None:
        return "－"
    return f"{number(x, digits)}{unit}" if unit != "%" else f"{number(x, digits)}%"


def million_yen(x: float | None) -> str:
    return "－" if x is None else f"{x:,.0f}百万円"


def percent(ratio: float | None) -> str:
    """Whole percent, rounded down: 99.6 % must not read as 100 % next to a B."""
    if ratio is None:
        return "－"
    return f"{math.floor(ratio * 100 + 1e-9):,}%"


def target_text(ind: Indicator, t: Target | None) -> str:
    """2,000件（累計） / 1,870時間/月 以上 / 60名程度/年 / 完了（100%）."""
    if t is None:
        return "－"
    if KINDS[ind.aggregation].milestone:
        return "完了（100%）"
    text = with_unit(t.value, ind.unit)
    if t.qualifier == "程度":
        text += "程度"
    if t.per:
        text += f"/{t.per}"
    if t.qualifier == "累計":
        text += "（累計）"
    elif t.qualifier in ("以上", "以下"):
        text += f" {t.qualifier}"
    return text


def status_text(status: str) -> str:
    return f"{STATUSES[status].symbol} {status}"


# Cells starting with these run as formulas in Excel (OWASP CSV injection); a tab or CR can hide one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def neutralise(value: Any) -> Any:
    """Text only: '=1+1 → "'=1+1" so that no spreadsheet evaluates it. Numbers pass unchanged."""
    return "'" + value if is_formula_like(value) else value
