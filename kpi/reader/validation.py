"""Validation: every rule a row must pass, column-wise, each problem named by Excel row and column.

``validate`` runs the checks in order on a ``Grid``; each check is a small function that
adds Problems and returns masks. Distinct IDs, months and non-plain numbers are parsed once.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpi import fiscal
from kpi.policy import Policy
from kpi.reader import limits
from kpi.reader.cells import BASE_UNITS, WORD, IndicatorIds, apply, codes, encoded, fmt, numbers, parse_month, quote, unit_forms
from kpi.reader.layout import Grid
from kpi.reader.result import COLUMN_LABELS, COLUMNS, Problem

RATIO_TOLERANCE = 0.5  # percentage points between 実績値 and 100 × 分子 ÷ 分母 before a warning


class Problems:
    """Problems collected per check, capped, then sorted by row and column."""

    ORDER = {label: n for n, label in enumerate(COLUMN_LABELS.values())}

    def __init__(self):
        self.items: list[Problem] = []
        self.total = 0

    def add_rows(self, where: np.ndarray, grid: Grid, column: str, message: Callable[[int], str]) -> None:
        """One Problem per record in ``where`` (record indices), at most MAX_PROBLEMS of them."""
        self.total += len(where)
        labels = grid.labels[column]
        for i in where[:limits.MAX_PROBLEMS]:
            label = labels if isinstance(labels, str) else labels[i]
            self.items.append(Problem(int(grid.rows[i]), label, message(int(i))))

    def add(self, p: Problem) -> None:
        self.total += 1
        self.items.append(p)

    def result(self, kind: str) -> list[Problem]:
        items = sorted(self.items, key=lambda p: (p.row or 0, self.ORDER.get(p.column or "", 99), p.column or ""))[:limits.MAX_PROBLEMS]
        if self.total > len(items):
            items.append(Problem(None, None, f"ほかに {self.total - len(items):,} 件の{kind}があります（最初の {len(items):,} 件を表示）"))
        return items


@dataclass
class Checked:
    """What the checks found, record by record (numpy arrays over the grid's records)."""

    grid: Grid
    errors: Problems
    warnings: Problems
    unfit: dict[str, np.ndarray]
    ids: IndicatorIds | None = None
    id_code: np.ndarray | None = None
    bad_id: np.ndarray | None = None
    month_idx: np.ndarray | None = None  # per record: index into month_texts
    month_texts: np.ndarray | None = None  # the distinct months as YYYY-MM ("" when unreadable)
    month_ord: np.ndarray | None = None
    bad_month: np.ndarray | None = None

    def text(self, column: str, i: int) -> str:
        """A cell's text for a message (shortened)."""
        v = self.grid.cols[column][i].as_py()
        return "" if v is None else quote(str(v))


def validate(grid: Grid, policy: Policy, today: dt.date | None) -> tuple[pd.DataFrame | None, Problems, Problems]:
    """The accepted rows as a frame (None when any error), the errors and the warnings."""
    errors, warnings = Problems(), Problems()
    grid = _drop_blank_rows(grid)
    if grid is None:
        errors.add(Problem(None, None, "見出し行だけで、データ行がありません"))
        return None, errors, warnings
    ck = Checked(grid, errors, warnings, {})
    _check_lengths(ck)
    _check_ids(ck, policy)
    future = _check_months(ck, policy, today or dt.date.today())
    value, num, den, n_empty, d_empty, bad_value = _check_numbers(ck, policy)
    good = ~(ck.bad_id | ck.bad_month | future | bad_value | np.logical_or.reduce(list(ck.unfit.values())))
    drop = _check_duplicates(ck, good, value, np.where(n_empty, np.nan, num), np.where(d_empty, np.nan, den))
    if errors.total:
        return None, errors, warnings
    return _frame(ck, good & ~drop, value, np.where(n_empty, np.nan, num), np.where(d_empty, np.nan, den)), errors, warnings


def _drop_blank_rows(grid: Grid) -> Grid | None:
    """Rows with nothing in them are skipped (Excel writes ,,,,, for a cleared row); None when nothing is left."""
    n = len(grid.rows)
    for c in ("indicator_id", "month", "value"):  # a column filled everywhere: no row is blank (the usual case, one pass)
        arr = grid.cols[c]
        if n and arr.null_count == 0 and not pc.any(pc.utf8_is_space(arr)).as_py():
            return grid
    blank = np.ones(n, dtype=bool)
    for c in COLUMNS:
        arr = grid.cols[c]
        blank &= pc.or_(arr.is_null(), pc.fill_null(pc.utf8_is_space(arr), True)).to_numpy(zero_copy_only=False)
    if n == 0 or blank.all():
        return None
    if not blank.any():
        return grid
    keep = ~blank
    mask = pa.array(keep)
    cols = {c: grid.cols[c].filter(mask) for c in COLUMNS}
    labels = {c: (v if isinstance(v, str) else v[keep]) for c, v in grid.labels.items()}
    return Grid(cols, grid.rows[keep], labels, grid.layout)


# Characters no spreadsheet or slide can hold (XML 1.0 forbids them; openpyxl and python-pptx raise on them).
CONTROL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{fffe}\\x{ffff}]"


def _check_lengths(ck: Checked) -> None:
    """Cells longer than the limits, or holding control characters, are refused (and left out of the other checks,
    so each cell gets one message): whatever is accepted fits every page and export."""
    for c in COLUMNS:
        limit = limits.MAX_NOTE_CHARS if c == "note" else limits.MAX_CELL_CHARS
        arr = ck.grid.cols[c]
        if arr.null_count == len(arr):
            ck.unfit[c] = np.zeros(len(arr), dtype=bool)
            continue
        # bytes are at least characters: within the limit in bytes (read from the offsets) is within it in characters
        longest = pc.max(pc.binary_length(arr)).as_py() or 0
        if longest > limit:
            longest = pc.max(pc.utf8_length(arr)).as_py() or 0
        if longest <= limit and (c != "note" or not pc.any(pc.match_substring_regex(arr, CONTROL)).as_py()):
            ck.unfit[c] = np.zeros(len(arr), dtype=bool)  # the usual case, decided without leaving Arrow
            continue
        lengths = pc.fill_null(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False)
        long = lengths > limit
        # only a note is stored as typed (IDs, months and numbers are stored in canonical form or refused)
        control = (~long & pc.fill_null(pc.match_substring_regex(arr, CONTROL), False).to_numpy(zero_copy_only=False) if c == "note"
                   else np.zeros(len(long), dtype=bool))
        ck.errors.add_rows(np.flatnonzero(long), ck.grid, c,
                           lambda i, lengths=lengths, limit=limit: f"{lengths[i]:,}文字あり、長すぎます（上限 {limit:,}文字）")
        ck.errors.add_rows(np.flatnonzero(control), ck.grid, c, lambda i, arr=arr: f"制御文字（{_controls(arr[i].as_py())}）が含まれています。"
                                                                                   "取り除いてから保存してください")
        bad = long | control
        ck.unfit[c] = bad
        if bad.any():
            ck.grid.cols[c] = pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), arr)


def _controls(text: str) -> str:
    found = sorted({f"U+{ord(ch):04X}" for ch in text if ord(ch) < 32 and ch not in "\t\n\r" or ord(ch) in (0xFFFE, 0xFFFF)})
    return "、".join(found[:3])


def _check_ids(ck: Checked, policy: Policy) -> None:
    ids = IndicatorIds(policy)
    id_idx, results = codes(ck.grid.cols["indicator_id"], ids.parse)
    code = np.array([r[0] for r in results], dtype=np.int64)[id_idx]
    bad = code < 0
    err = [r[1] for r in results]
    warn = [r[2] for r in results]
    ck.errors.add_rows(np.flatnonzero(bad & ~ck.unfit["indicator_id"]), ck.grid, "indicator_id", lambda i: err[id_idx[i]])
    warn_codes = [k for k, w in enumerate(warn) if w]
    if warn_codes:
        ck.warnings.add_rows(np.flatnonzero(np.isin(id_idx, warn_codes)), ck.grid, "indicator_id", lambda i: warn[id_idx[i]])
    ck.ids, ck.id_code, ck.bad_id = ids, code, bad


def _month_of(t: str | None) -> tuple[int, str | None]:
    """(ordinal year*12 + month-1, canonical text); -1 when unreadable."""
    if t is not None and len(t) == 7 and t[4] == "-" and t[:4].isdigit() and t[5:].isdigit() and "01" <= t[5:] <= "12":
        return int(t[:4]) * 12 + int(t[5:]) - 1, t  # the canonical form, without the general parser
    m = parse_month(t) if t is not None else None
    if m is None:
        return -1, None
    y, mo = fiscal.parse_ym(m)
    return y * 12 + mo - 1, m


_CANONICAL_MONTH = r"^[0-9]{4}-(?:0[1-9]|1[0-2])$"


def _months(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each record's index into the distinct months, their ordinals (year*12 + month-1; -1 when unreadable) and their
    canonical texts ("" when unreadable); the last distinct entry is the empty cell. ``YYYY-MM`` is read by Arrow,
    any other way of writing a month by ``_month_of`` once per distinct cell."""
    enc = encoded(arr)
    distinct = enc.dictionary
    k = len(distinct)
    ordinal_of = np.full(k + 1, -1, dtype=np.int64)
    texts = np.full(k + 1, "", dtype=object)
    canonical = pc.match_substring_regex(distinct, _CANONICAL_MONTH).to_numpy(zero_copy_only=False)
    if canonical.any():
        at = np.flatnonzero(canonical)
        plain = distinct.filter(pa.array(canonical))
        years = pc.cast(pc.utf8_slice_codeunits(plain, 0, 4), pa.int64()).to_numpy(zero_copy_only=False)
        months = pc.cast(pc.utf8_slice_codeunits(plain, 5, 7), pa.int64()).to_numpy(zero_copy_only=False)
        ordinal_of[at] = years * 12 + months - 1
        texts[at] = plain.to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(~canonical)
    if len(rest):
        results = apply(distinct.take(pa.array(rest)), _month_of)
        ordinal_of[rest] = [r[0] for r in results]
        texts[rest] = [r[1] or "" for r in results]
    idx = pc.fill_null(enc.indices, k).to_numpy(zero_copy_only=False).astype(np.int64)
    return idx, ordinal_of, texts


def _check_months(ck: Checked, policy: Policy, today: dt.date) -> np.ndarray:
    """Unreadable and future months are errors; months outside the policy's years are warnings. Returns ``future``."""
    m_idx, ordinal_of, texts = _months(ck.grid.cols["month"])
    ordinal = ordinal_of[m_idx]
    bad = ordinal < 0
    ck.errors.add_rows(np.flatnonzero(bad & ~ck.unfit["month"]), ck.grid, "month",
                       lambda i: f"{ck.text('month', i)} は年月として読めません" if ck.text("month", i).strip() else "年月がありません")
    now = today.year * 12 + today.month - 1
    future = ordinal > now
    ck.errors.add_rows(np.flatnonzero(future), ck.grid, "month",
                       lambda i: f"{ck.text('month', i)} は未来の年月です（{fiscal.month_label(texts[m_idx[i]])}、今日は {today:%Y-%m-%d}）")
    years = _policy_years(policy)
    if years:
        # the fiscal year of each distinct month, by kpi.fiscal's rule (a year starts in FY_START_MONTH: January–March
        # belong to the year before)
        fy = np.where(ordinal_of >= 0, ordinal_of // 12 - (ordinal_of % 12 + 1 < fiscal.FY_START_MONTH), 0)[m_idx]
        outside = ~bad & ~future & ((fy < years[0]) | (fy > years[-1]))
        span = f"{fiscal.fy_label(years[0])}〜{fiscal.fy_label(years[-1])}"
        ck.warnings.add_rows(np.flatnonzero(outside), ck.grid, "month",
                             lambda i: f"{texts[m_idx[i]]} は運営方針の対象年度（{span}）の外の月です。年月に誤りがないか確認してください")
    ck.month_idx, ck.month_texts, ck.month_ord, ck.bad_month = m_idx, texts, ordinal, bad
    return future


def _check_numbers(ck: Checked, policy: Policy):
    """Values, numerators and denominators: readable, in the indicator's unit, in range, finite, consistent."""
    grid, errors, warnings = ck.grid, ck.errors, ck.warnings
    indicators = list(policy.indicators.values())
    units = tuple(sorted({*BASE_UNITS, *(u for ind in indicators for u in unit_forms(ind.unit) if u)}, key=len, reverse=True))
    value, v_empty, v_bad, v_unit, v_units = numbers(grid.cols["value"], units)
    num, n_empty, n_bad, n_unit, n_units = numbers(grid.cols["numerator"], units)
    den, d_empty, d_bad, d_unit, d_units = numbers(grid.cols["denominator"], units)
    code, bad_id = np.where(ck.bad_id, 0, ck.id_code), ck.bad_id
    is_pct = np.array([ind.unit in ("%", "％") for ind in indicators] or [False])[code] & ~bad_id
    is_ratio = np.array([ind.aggregation == "ratio" for ind in indicators] or [False])[code] & ~bad_id
    is_mile = np.array([ind.aggregation == "milestone" for ind in indicators] or [False])[code] & ~bad_id

    for col, bad in (("value", v_bad), ("numerator", n_bad), ("denominator", d_bad)):
        errors.add_rows(np.flatnonzero(bad), grid, col, lambda i, col=col: f"「{ck.text(col, i)}」は数値として読めません")
    bad_value = v_bad | n_bad | d_bad
    for col, ucode, ulist in (("value", v_unit, v_units), ("numerator", n_unit, n_units), ("denominator", d_unit, d_units)):
        bad_value |= _check_units(ck, indicators, col, ucode, ulist, code)

    # a ratio may leave 実績値 empty when 分子 and 分母 are given
    both = ~n_empty & ~d_empty & ~n_bad & ~d_bad
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        computed = np.where(both & (den != 0), 100.0 * num / den, np.nan)
    fill = v_empty & is_ratio & both & (den != 0)
    value = np.where(fill, computed, value)
    missing = v_empty & ~fill & ~bad_id & ~(is_ratio & both) & ~ck.unfit["value"]
    errors.add_rows(np.flatnonzero(missing), grid, "value",
                    lambda i: "実績値がありません（比率の指標は 分子 と 分母 があれば省略できます）" if is_ratio[i] else "実績値がありません")
    bad_value |= missing

    for col, arr, bad in (("value", value, v_bad | fill), ("numerator", num, n_bad), ("denominator", den, d_bad)):
        neg = ~bad & (arr < 0)
        errors.add_rows(np.flatnonzero(neg), grid, col, lambda i, arr=arr: f"{fmt(arr[i])} は負の値です（0以上を入力してください）")
        # magnitudes: finite, and small enough that any sum of them stays finite in every page and export
        huge = ~bad & ~neg & ~np.isnan(arr) & ~(np.abs(arr) <= limits.MAX_ABS_NUMBER)
        errors.add_rows(np.flatnonzero(huge), grid, col,
                        lambda i, arr=arr: f"{fmt(arr[i])} は大きすぎます（上限 {limits.MAX_ABS_NUMBER:,.0f}）")
        bad_value |= neg | huge
    over = is_pct & ~v_bad & ~fill & (value > 100)
    errors.add_rows(np.flatnonzero(over), grid, "value",
                    lambda i: f"{fmt(value[i])} は100%を超えています（{'進捗は0〜100' if is_mile[i] else '割合は0〜100'}で入力してください）")
    bad_value |= over
    tiny = is_pct & ~v_bad & ~fill & (value > 0) & (value < 1) & ~both
    warnings.add_rows(np.flatnonzero(tiny), grid, "value",
                      lambda i: f"{fmt(value[i])} は {fmt(value[i])}% と {fmt(value[i] * 100)}% のどちらか判別できません。"
                                f"{fmt(value[i] * 100)}% のつもりなら {fmt(value[i] * 100)} と入力してください"
                                f"（このままでは {fmt(value[i])}% として登録します）")
    bad_value |= _check_ratio_parts(ck, value, num, den, both, n_empty, d_empty, n_bad, d_bad, v_empty, v_bad, is_ratio, computed)
    return value, num, den, n_empty, d_empty, bad_value


def _check_units(ck: Checked, indicators: list, col: str, ucode: np.ndarray, ulist: list[str], code: np.ndarray) -> np.ndarray:
    """Units written in the cells must be the indicator's own; returns the records refused."""
    n = len(ucode)
    if len(ulist) == 1 or not (ucode > 0).any():
        return np.zeros(n, dtype=bool)
    allowed = np.zeros((max(len(indicators), 1), len(ulist)), dtype=bool)
    allowed[:, 0] = True
    for k, ind in enumerate(indicators):
        for j, u in enumerate(ulist):
            if u == WORD:
                allowed[k, j] = col == "value" and ind.aggregation == "milestone"
            elif u in unit_forms(ind.unit) or (col != "value" and ind.aggregation == "ratio" and u not in ("%",)):
                allowed[k, j] = True
    wrong = ~ck.bad_id & (ucode > 0) & ~allowed[code, ucode]
    wrong_word = wrong & (ucode == ulist.index(WORD)) if WORD in ulist else np.zeros(n, dtype=bool)
    ck.errors.add_rows(np.flatnonzero(wrong_word), ck.grid, col,
                       lambda i: f"「{ck.text(col, i)}」は進捗（マイルストーン）の指標にだけ使えます。数値を入力してください")
    unit_of = np.array([ind.unit for ind in indicators] or [""], dtype=object)
    ck.errors.add_rows(np.flatnonzero(wrong & ~wrong_word), ck.grid, col,
                       lambda i: f"「{ck.text(col, i)}」の単位「{ulist[ucode[i]]}」は {ck.ids.ids[code[i]]} の単位「{unit_of[code[i]]}」と違います")
    return wrong


def _check_ratio_parts(ck: Checked, value, num, den, both, n_empty, d_empty, n_bad, d_bad, v_empty, v_bad, is_ratio, computed) -> np.ndarray:
    """分子 within 分母, no zero 分母, both parts or neither, and 実績値 matching 100 × 分子 ÷ 分母."""
    grid, errors, warnings = ck.grid, ck.errors, ck.warnings
    over_den = both & (num > den) & (num >= 0) & (den >= 0)
    errors.add_rows(np.flatnonzero(over_den), grid, "numerator", lambda i: f"分子 {fmt(num[i])} が分母 {fmt(den[i])} を超えています")
    zero_den = both & (den == 0)
    errors.add_rows(np.flatnonzero(zero_den), grid, "denominator", lambda i: "分母が0です")
    half = ~ck.bad_id & is_ratio & (n_empty != d_empty) & ~n_bad & ~d_bad
    for col, empty_part in (("numerator", n_empty), ("denominator", d_empty)):
        warnings.add_rows(np.flatnonzero(half & empty_part), grid, col,
                          lambda i: "分子と分母は両方入力してください（片方だけでは年度の比率の計算に使いません）")
    with np.errstate(invalid="ignore"):
        mismatch = both & ~v_empty & ~v_bad & is_ratio & (den > 0) & (np.abs(value - computed) > RATIO_TOLERANCE)
    warnings.add_rows(np.flatnonzero(mismatch), grid, "value",
                      lambda i: f"実績値 {fmt(value[i])} が 分子÷分母×100 = {computed[i]:.1f} と一致しません（年度の値は分子と分母の合計から計算します）")
    return over_den | zero_den


def _check_duplicates(ck: Checked, good: np.ndarray, value, num, den) -> np.ndarray:
    """The same indicator and month twice: different figures → error; identical → warning, kept once. Returns the drops."""
    n = len(good)
    cand = np.flatnonzero(good)
    drop = np.zeros(n, dtype=bool)
    if not len(cand):
        return drop
    first_rec = cand[_first_of_key(ck.id_code[cand], ck.month_ord[cand])]
    dup = first_rec != cand
    if not dup.any():
        return drop
    d, f = cand[dup], first_rec[dup]
    same = _eq(value[d], value[f]) & _eq(num[d], num[f]) & _eq(den[d], den[f])
    first_of = np.zeros(n, dtype=np.int64)
    first_of[d] = f
    rows = ck.grid.rows
    label = lambda i: f"{ck.ids.ids[ck.id_code[i]]} {ck.month_texts[ck.month_idx[i]]}"
    ck.errors.add_rows(d[~same], ck.grid, "indicator_id",
                       lambda i: f"{label(i)} が {rows[first_of[i]]}行目と重複していて、値が違います"
                                 f"（{fmt(value[first_of[i]])} と {fmt(value[i])}）")
    ck.warnings.add_rows(d[same], ck.grid, "indicator_id",
                         lambda i: f"{label(i)} は {rows[first_of[i]]}行目と同じ内容の重複です（1行として登録します）")
    drop[d] = True
    return drop


def _first_of_key(code: np.ndarray, month: np.ndarray) -> np.ndarray:
    """For each record, the position of the first record with the same indicator and month."""
    low = int(month.min())
    span = int(month.max()) - low + 1
    key = code * span + (month - low)
    if (int(code.max()) + 1) * span <= max(4 * len(key), 1 << 20):  # a table of every key is small: no hashing, no sorting
        table = np.full((int(code.max()) + 1) * span, len(key), dtype=np.int64)
        np.minimum.at(table, key, np.arange(len(key)))
        return table[key]
    order = np.argsort(key, kind="stable")  # months far apart: sorted, each run's first is its earliest record
    ordered = key[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    first = np.empty(len(key), dtype=np.int64)
    first[order] = order[starts][np.cumsum(starts) - 1]
    return first


def _frame(ck: Checked, keep: np.ndarray, value, num, den) -> pd.DataFrame:
    """The accepted rows, built as Arrow columns (codes taken from the distinct IDs and months; no object per cell)."""
    idx = np.flatnonzero(keep)
    note = pc.fill_null(pc.utf8_trim_whitespace(ck.grid.cols["note"]), "").take(pa.array(idx))
    table = pa.table({
        "indicator_id": pa.array(ck.ids.ids, pa.string()).take(pa.array(ck.id_code[idx])),
        "month": pa.array(list(ck.month_texts), pa.string()).take(pa.array(ck.month_idx[idx])),
        "value": value[idx].astype(np.float64),
        "numerator": num[idx],
        "denominator": den[idx],
        "note": note,
        "row": ck.grid.rows[idx],
    })
    return table.to_pandas()


def _policy_years(policy: Policy) -> list[int]:
    """Fiscal years an actual may plausibly belong to: the year before the first target (前年度実績) to the last."""
    years = set(policy.target_years())
    for ind in policy.indicators.values():
        if ind.period:
            years.update(ind.period)
    return [min(years) - 1, max(years)] if years else []


def _eq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))
