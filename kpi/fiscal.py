"""Fiscal years (年度, April–March), 和暦 labels and month arithmetic.

Months are handled as ``YYYY-MM`` strings at the edges and as ``(year, month)``
integers inside; a fiscal year is named by its western starting year (2025 = 令和7年度).
"""
from __future__ import annotations

import datetime as dt

REIWA_OFFSET = 2018  # 令和N年 = 2018 + N
FY_START_MONTH = 4


def fy_of_month(month: str) -> int:
    """Fiscal year a ``YYYY-MM`` month belongs to (January–March go to the previous year)."""
    year, mon = parse_ym(month)
    return year if mon >= FY_START_MONTH else year - 1


def parse_ym(month: str) -> tuple[int, int]:
    """Split a canonical ``YYYY-MM`` string; raises ValueError otherwise."""
    if len(month) != 7 or month[4] != "-":
        raise ValueError(f"not a YYYY-MM month: {month!r}")
    year, mon = int(month[:4]), int(month[5:])
    if not 1 <= mon <= 12:
        raise ValueError(f"not a YYYY-MM month: {month!r}")
    return year, mon


def ym(year: int, mon: int) -> str:
    return f"{year:04d}-{mon:02d}"


def fy_months(fy: int) -> list[str]:
    """The twelve months of a fiscal year, April first."""
    return [ym(fy + (m - 1) // 12, (m - 1) % 12 + 1) for m in range(FY_START_MONTH, FY_START_MONTH + 12)]


def fy_month_index(month: str, fy: int) -> int:
    """1 for April … 12 for March of fiscal year ``fy``; 0 or below before it, 13+ after."""
    year, mon = parse_ym(month)
    return (year - fy) * 12 + mon - FY_START_MONTH + 1


def months_elapsed(fy: int, as_of: str) -> int:
    """Whole months of ``fy`` that have ended by the end of ``as_of`` (0–12)."""
    return max(0, min(12, fy_month_index(as_of, fy)))


def fy_ended(fy: int, as_of: str) -> bool:
    return fy_month_index(as_of, fy) >= 12


def current_month(today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    return ym(today.year, today.month)


def latest_as_of(fy: int, today: dt.date | None = None) -> str:
    """The as-of month "最新" means for ``fy``: the last month that has ended while the year runs (on 3 December,
    November: December's figures are not due yet, and its share of a yearly target is not yet expected), the
    year's April while April runs (no month of it has ended), and its March once the year has ended."""
    now, months = current_month(today), fy_months(fy)
    if now <= months[0]:  # the year's first month, or a year not yet begun
        return now
    return min(previous_month(now), months[-1])


def last_choosable(fy: int, today: dt.date | None = None) -> str:
    """The last month of ``fy`` one may view the year as of: this month (a figure uploaded for it early is seen by
    choosing it), its March once the year has ended."""
    return min(current_month(today), fy_months(fy)[-1])


def previous_month(month: str) -> str:
    year, mon = parse_ym(month)
    return ym(year - 1, 12) if mon == 1 else ym(year, mon - 1)


def wareki_year(year: int) -> str:
    """令和 label of a western year (元年 for 2019)."""
    n = year - REIWA_OFFSET
    if n < 1:
        # Heisei: the policy data never goes that far back, but labels must not lie.
        return f"平成{year - 1988}"
    return "令和元" if n == 1 else f"令和{n}"


def fy_label(fy: int, western: bool = False) -> str:
    """令和7年度, or 令和7年度（2025年度） with ``western``."""
    label = f"{wareki_year(fy)}年度"
    return f"{label}（{fy}年度）" if western else label


def fy_short(fy: int) -> str:
    """R7 style short label for axes."""
    return f"R{fy - REIWA_OFFSET}"


def month_label(month: str) -> str:
    """2025-09 → 令和7年9月."""
    year, mon = parse_ym(month)
    return f"{wareki_year(year)}年{mon}月"


def month_range_label(first: str, last: str) -> str:
    """2025-04, 2026-03 → 令和7年4月〜令和8年3月; 2025-04, 2025-09 → 令和7年4月〜9月; one month → 令和7年4月."""
    if first == last:
        return month_label(first)
    (year, _), (last_year, last_mon) = parse_ym(first), parse_ym(last)
    return f"{month_label(first)}〜{f'{last_mon}月' if year == last_year else month_label(last)}"


def month_short(month: str) -> str:
    """2025-09 → 9月 (axis ticks; the year is in the title)."""
    return f"{parse_ym(month)[1]}月"


def date_label(iso: str) -> str:
    """2026-11-26 (or an ISO timestamp) → 令和8年11月26日."""
    year, mon, day = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    return f"{wareki_year(year)}年{mon}月{day}日"


def datetime_label(iso: str) -> str:
    """An ISO timestamp → 令和8年11月27日 00:25 (the time as recorded, here JST)."""
    return f"{date_label(iso)} {iso[11:16]}" if len(iso) >= 16 else date_label(iso)
