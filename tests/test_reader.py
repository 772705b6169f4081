"""kpi.reader: every accepted form of an actuals file, and every refusal with its row, column and message."""
from __future__ import annotations

import datetime as dt
import io
import math
import zipfile

import openpyxl
import pytest

from kpi.evaluate import Actual
from kpi.reader import (
    MAX_PROBLEMS,
    Problem,
    ReadResult,
    parse_month,
    parse_number,
    read_actuals,
)
from kpi.store import rows_table, write_rows

TODAY = dt.date(2025, 10, 15)
HEADER = "indicator_id,month,value,numerator,denominator,note"
JA_HEADER = "指標ID,年月,実績値,分子,分母,備考"


def read(policy, body: str | bytes, name: str = "actuals.csv", header: str | None = HEADER, encoding: str = "utf-8", **kw) -> ReadResult:
    if isinstance(body, str):
        text = (header + "\n" if header is not None else "") + body
        body = text.encode(encoding)
    return read_actuals(body, name, policy, today=kw.pop("today", TODAY), **kw)


def only_error(res: ReadResult) -> Problem:
    assert len(res.errors) == 1, [str(e) for e in res.errors]
    return res.errors[0]


def xlsx(rows: list[list], title: str = "Sheet", extra_sheets: tuple[str, ...] = (), formats: dict | None = None) -> bytes:
    wb = openpyxl.Workbook()
    for name in extra_sheets:  # sheets before the data sheet
        wb.create_sheet(name, 0).append(["説明だけのシート"])
    ws = wb.worksheets[len(extra_sheets)]
    ws.title = title
    for r in rows:
        ws.append(r)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- accepted -------------------------------------------------------------------------

def test_canonical_file(policy):
    res = read(policy, "K1-1,2025-04,1523,,,\nK1-2,2025-04,22.4,448,2000,メモ\n")
    assert res.ok and not res.warnings
    assert res.rows == [Actual("K1-1", "2025-04", 1523.0), Actual("K1-2", "2025-04", 22.4, 448.0, 2000.0, "メモ")]
    assert res.source_rows == {("K1-1", "2025-04"): 2, ("K1-2", "2025-04"): 3}
    assert res.layout == "long" and res.n_rows == 2
    assert list(res.frame.columns) == ["indicator_id", "month", "value", "numerator", "denominator", "note", "row"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "utf-16"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_encodings_delimiters_line_ends(policy, encoding, newline, delimiter):
    rows = [JA_HEADER.split(","), ["K1-1", "2025年4月", "1523件", "", "", "前月比増"], ["K4-3", "令和7年5月", "12名", "", "", "研修"]]
    data = (newline.join(delimiter.join(r) for r in rows) + newline).encode(encoding)
    res = read_actuals(data, "a.csv", policy, today=TODAY)
    assert res.ok, [str(e) for e in res.errors]
    assert [(a.indicator_id, a.month, a.value, a.note) for a in res.rows] == [("K1-1", "2025-04", 1523.0, "前月比増"), ("K4-3", "2025-05", 12.0, "研修")]
    assert res.encoding == {"utf-8": "utf-8-sig"}.get(encoding, encoding)


@pytest.mark.parametrize("header", [
    "indicator_id,month,value", "指標ID,年月,実績値", "Indicator_ID,Month,Value", "指標ＩＤ,年月,実績値", "ID,月,実績", " 指標ID , 年月 , 実績値 ",
])
def test_header_spellings(policy, header):
    res = read(policy, "K1-1,2025-04,10\n", header=header)
    assert res.ok and res.rows[0].value == 10


def test_header_below_a_title_row_keeps_excel_row_numbers(policy):
    res = read(policy, "令和7年度 実績報告,,\n\n指標ID,年月,実績値\nK1-1,2025-04,10\nK1-1,2025-13,10\n", header=None)
    p = only_error(res)
    assert (p.row, p.column, p.message) == (5, "年月", "2025-13 は年月として読めません")


def test_columns_in_any_order_and_extra_columns_ignored(policy):
    res = read(policy, "メモ,22.4,K1-2,担当A,2025/4\n", header="備考,実績値,指標ID,担当,年月")
    assert res.ok and res.rows == [Actual("K1-2", "2025-04", 22.4, None, None, "メモ")]


@pytest.mark.parametrize("text,month", [
    ("2025-04", "2025-04"), ("2025-4", "2025-04"), ("2025/4", "2025-04"), ("2025/04", "2025-04"), ("2025/4/1", "2025-04"),
    ("2025/04/30", "2025-04"), ("2025-04-01", "2025-04"), ("2025.4", "2025-04"), ("202504", "2025-04"), ("2025年4月", "2025-04"),
    ("2025年4月1日", "2025-04"), ("２０２５年４月", "2025-04"), ("令和7年4月", "2025-04"), ("令和７年４月", "2025-04"),
    ("令和元年5月", "2019-05"), ("R7.4", "2025-04"), ("r7.4", "2025-04"), ("R07.04", "2025-04"), ("R7/4", "2025-04"),
    ("令和7年4月1日", "2025-04"), ("H31.4", "2019-04"), ("平成30年12月", "2018-12"), ("2025-04-01 00:00:00", "2025-04"),
    (" 2025/4 ", "2025-04"), (dt.date(2025, 4, 1), "2025-04"), (dt.datetime(2025, 4, 30, 12, 0), "2025-04"),
])
def test_parse_month_accepts(text, month):
    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "25-04", "2025", "令和7年13月", "R0.4", "2025/2/30", "April 2025", "", None, "abc", "2025-04x"])
def test_parse_month_refuses(text):
    assert parse_month(text) is None


@pytest.mark.parametrize("month", ["2025-04", "2025/4", "2025/4/1", "2025年4月", "令和7年4月", "R7.4", "２０２５／４"])
def test_month_forms_in_a_file(policy, month):
    res = read(policy, f"K1-1,{month},10,,,\n")
    assert res.ok and res.rows[0].month == "2025-04"


def test_reiwa_gannen_month(policy):
    res = read(policy, "K1-1,令和元年5月,10,,,\n")
    assert res.ok and res.rows[0].month == "2019-05"


@pytest.mark.parametrize("text,value", [
    ("1523", 1523), ("1,523", 1523), ("１，５２３", 1523), ("１５２３", 1523), ("1523件", 1523), ("1,523 件", 1523), ("12.5", 12.5),
    ("＋12", 12), ("1e3", 1000), ("22.4%", 22.4), ("22.4％", 22.4), ("1,870時間", 1870), ("1,870時間/月", 1870), ("3業務", 3),
    ("2所属", 2), ("3事業", 3), ("7名", 7), ("7人", 7), ("△5", -5), ("▲5", -5), ("−5", -5), ("-5", -5),
])
def test_parse_number_accepts(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["abc", "1,5", "12,34,5", "1.2.3", "nan", "inf", "", "約20", "20程度", "1 2", "--5"])
def test_parse_number_refuses(text):
    assert parse_number(text) is None


@pytest.mark.parametrize("iid,cell,value", [
    ("K1-1", "1,523件", 1523), ("K1-1", "１，５２３", 1523), ("K1-2", "22.4%", 22.4), ("K1-2", "22.4％", 22.4), ("K1-2", "２２．４", 22.4),
    ("K2-4", "1,900時間", 1900), ("K2-4", "1,900時間/月", 1900), ("K2-2", "3業務", 3), ("K4-1", "2所属", 2), ("K4-7", "1事業", 1),
    ("K4-2", "5名", 5), ("K4-2", "5人", 5), ("K4-3", "12", 12), ("K2-1", "完了", 100), ("K2-1", "未着手", 0), ("K2-1", "50%", 50),
    ("K4-8", "75", 75),
])
def test_value_forms(policy, iid, cell, value):
    res = read(policy, f'{iid},2025-04,"{cell}",,,\n')
    assert res.ok, [str(e) for e in res.errors]
    assert res.rows[0].value == value


@pytest.mark.parametrize("cell", ["k1-1", "Ｋ１－１", " K1-1 ", "K1ー1", "K1－1", "k1‐1"])
def test_indicator_id_normalised_silently(policy, cell):
    res = read(policy, f"{cell},2025-04,10,,,\n")
    assert res.ok and not res.warnings and res.rows[0].indicator_id == "K1-1"


def test_indicator_id_without_letter_accepted_with_a_warning(policy):
    res = read(policy, "1-1,2025-04,10,,,\n")
    assert res.ok and res.rows[0].indicator_id == "K1-1"
    assert [(w.row, w.column) for w in res.warnings] == [(2, "指標ID")]
    assert "K1-1 として読みました" in res.warnings[0].message


def test_ratio_value_computed_from_numerator_and_denominator(policy):
    res = read(policy, "K1-2,2025-04,,448,2000,\n")
    assert res.ok and res.rows == [Actual("K1-2", "2025-04", 22.4, 448.0, 2000.0)]


def test_ratio_file_without_value_column(policy):
    res = read(policy, "K1-2,2025-04,448,2000\n", header="指標ID,年月,分子,分母")
    assert res.ok and math.isclose(res.rows[0].value, 22.4)


def test_blank_rows_skipped_and_row_numbers_kept(policy):
    res = read(policy, "K1-1,2025-04,10,,,\n,,,,,\n\nK1-1,2025-05,abc,,,\n")
    assert (only_error(res).row, only_error(res).column) == (5, "実績値")


def test_quoted_line_break_in_note_keeps_excel_row_numbers(policy):
    res = read(policy, 'K1-1,2025-04,10,,,"二行の\n備考"\nK1-1,2025-13,10,,,\n')
    p = only_error(res)
    assert (p.row, p.column) == (3, "年月")


def test_fast_and_careful_paths_agree(policy):
    body = "".join(f"K{1 + k % 4}-1,2024-{m:02d},{k * 3 + m},,,メモ{k}\n" for k in range(8) for m in range(1, 13) if (k, m) != (0, 0))
    body = "\n".join(dict.fromkeys(body.splitlines())) + "\n"  # unique keys
    fast = read(policy, body.replace("K2-1", "K2-2").replace("K3-1", "K4-1"))
    careful = read(policy, body.replace("K2-1", "K2-2").replace("K3-1", "K4-1"), header='"indicator_id",month,value,numerator,denominator,note')
    assert fast.errors == careful.errors
    assert fast.rows == careful.rows and fast.source_rows == careful.source_rows


# --- Excel ----------------------------------------------------------------------------

def test_xlsx_canonical_with_date_cells_and_percent_format(policy):
    data = xlsx([["指標ID", "年月", "実績値", "分子", "分母", "備考"],
                 ["K1-1", dt.datetime(2025, 4, 1), 1523, None, None, None],
                 ["K1-2", dt.date(2025, 5, 1), 0.224, None, None, "書式が%"],
                 ["K4-3", "令和7年6月", 12.0, None, None, None]], formats={"C3": "0.0%"})
    res = read_actuals(data, "actuals.xlsx", policy, today=TODAY)
    assert res.ok and res.encoding == "xlsx", [str(e) for e in res.errors]
    assert [(a.indicator_id, a.month, a.value) for a in res.rows] == [("K1-1", "2025-04", 1523), ("K1-2", "2025-05", 22.4), ("K4-3", "2025-06", 12)]


def test_xlsx_sheet_named_jisseki_preferred(policy):
    data = xlsx([["指標ID", "年月", "実績値"], ["K1-1", "2025-04", 5]], title="実績", extra_sheets=("表紙",))
    res = read_actuals(data, "a.xlsx", policy, today=TODAY)
    assert res.ok and res.rows[0].value == 5


def test_xlsx_first_sheet_otherwise(policy):
    wb = openpyxl.Workbook()
    wb.active.append(["指標ID", "年月", "実績値"])
    wb.active.append(["K1-1", "2025-04", 5])
    wb.create_sheet("メモ").append(["指標ID", "年月", "実績値"])
    buf = io.BytesIO()
    wb.save(buf)
    assert read_actuals(buf.getvalue(), "a.xlsx", policy, today=TODAY).rows[0].value == 5


def test_xlsx_error_names_excel_row(policy):
    data = xlsx([["見出し"], [], ["指標ID", "年月", "実績値"], ["K1-1", "2025-04", 5], [None, None, None], ["K1-1", "2025-05", "たくさん"]])
    p = only_error(read_actuals(data, "a.xlsx", policy, today=TODAY))
    assert (p.row, p.column, p.message) == (6, "実績値", "「たくさん」は数値として読めません")


def test_xlsx_id_turned_into_a_date(policy):
    data = xlsx([["指標ID", "年月", "実績値"], [dt.datetime(2025, 1, 1), "2025-04", 5]])
    p = only_error(read_actuals(data, "a.xlsx", policy, today=TODAY))
    assert (p.row, p.column) == (2, "指標ID") and "日付" in p.message and "K1-1" in p.message


def test_xlsx_wide_with_date_headers(policy):
    data = xlsx([["指標ID", "指標名", "単位", dt.datetime(2025, 4, 1), dt.datetime(2025, 5, 1), "備考欄"],
                 ["K1-1", "手続き", "件", 1500, 1523, "説明"], ["K2-4", "音声", "時間", None, "1,900時間", None]])
    res = read_actuals(data, "wide.xlsx", policy, today=TODAY)
    assert res.ok and res.layout == "wide"
    assert [(a.indicator_id, a.month, a.value) for a in res.rows] == [("K1-1", "2025-04", 1500), ("K1-1", "2025-05", 1523), ("K2-4", "2025-05", 1900)]


def test_xlsx_wide_error_names_month_column(policy):
    data = xlsx([["指標ID", "指標名", "2025年4月", "2025年5月"], ["K1-1", "x", 1, "多い"]])
    p = only_error(read_actuals(data, "wide.xlsx", policy, today=TODAY))
    assert (p.row, p.column, p.message) == (2, "2025年5月", "「多い」は数値として読めません")


# --- wide CSV -------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    ("2025年4月", "2025年5月"), ("令和7年4月", "令和7年5月"), ("2025-04", "2025-05"), ("2025年4月分", "2025年5月分"), ("R7.4", "R7.5"),
    ("2025/4/1", "2025/5/1"),
])
def test_wide_csv_month_headers(policy, headers):
    res = read(policy, "K1-1,オンライン手続き,件,x,100,110\nK4-3,研修,名,y,,-\n", header=f"指標ID,指標名,単位,担当,{headers[0]},{headers[1]}")
    assert res.ok and res.layout == "wide", [str(e) for e in res.errors]
    assert [(a.indicator_id, a.month, a.value) for a in res.rows] == [("K1-1", "2025-04", 100), ("K1-1", "2025-05", 110)]
    assert res.source_rows == {("K1-1", "2025-04"): 2, ("K1-1", "2025-05"): 2}


def test_wide_future_month_cell_refused(policy):
    p = only_error(read(policy, "K1-1,100,200\n", header="指標ID,2025年10月,2025年11月"))
    assert (p.row, p.column) == (2, "2025年11月") and "未来の年月" in p.message


# --- refused --------------------------------------------------------------------------

@pytest.mark.parametrize("line,column,message", [
    ("K9-9,2025-04,1,,,", "指標ID", "「K9-9」は指標IDとして登録されていません（近いID: "),
    ("ZZZZZZ,2025-04,1,,,", "指標ID", "「ZZZZZZ」は指標IDとして登録されていません（登録されている指標ID: K1-1、"),
    ("2025/1/1,2025-04,1,,,", "指標ID",
     "「2025/1/1」は日付になっています。Excel が指標IDを日付に変えた可能性があります。K1-1 のつもりなら「K1-1」と入力してください"),
    ("1月1日,2025-04,1,,,", "指標ID", "「1月1日」は日付になっています。"),
    ("1-Jan,2025-04,1,,,", "指標ID", "「1-Jan」は日付になっています。"),
    (",2025-04,1,,,", "指標ID", "指標IDがありません"),
    ("K1-1,2025-13,1,,,", "年月", "2025-13 は年月として読めません"),
    ("K1-1,来月,1,,,", "年月", "来月 は年月として読めません"),
    ("K1-1,,1,,,", "年月", "年月がありません"),
    ("K1-1,2025-11,1,,,", "年月", "2025-11 は未来の年月です（令和7年11月、今日は 2025-10-15）"),
    ("K1-1,令和8年1月,1,,,", "年月", "令和8年1月 は未来の年月です"),
    ("K1-1,2025-04,abc,,,", "実績値", "「abc」は数値として読めません"),
    ("K1-1,2025-04,\"1,5\",,,", "実績値", "「1,5」は数値として読めません"),
    ("K1-1,2025-04,,,,", "実績値", "実績値がありません"),
    ("K1-2,2025-04,,448,,", "実績値", "実績値がありません（比率の指標は 分子 と 分母 があれば省略できます）"),
    ("K1-1,2025-04,-5,,,", "実績値", "-5 は負の値です（0以上を入力してください）"),
    ("K1-1,2025-04,△5,,,", "実績値", "-5 は負の値です"),
    ("K1-2,2025-04,120,,,", "実績値", "120 は100%を超えています（割合は0〜100で入力してください）"),
    ("K2-1,2025-04,150,,,", "実績値", "150 は100%を超えています（進捗は0〜100で入力してください）"),
    ("K1-2,2025-04,,3000,2000,", "分子", "分子 3,000 が分母 2,000 を超えています"),
    ("K1-2,2025-04,10,-1,2000,", "分子", "-1 は負の値です"),
    ("K1-2,2025-04,,0,0,", "分母", "分母が0です"),
    ("K1-2,2025-04,10,x,2000,", "分子", "「x」は数値として読めません"),
    ("K1-2,2025-04,25件,,,", "実績値", "「25件」の単位「件」は K1-2 の単位「%」と違います"),
    ("K1-1,2025-04,25%,,,", "実績値", "「25%」の単位「%」は K1-1 の単位「件」と違います"),
    ("K1-1,2025-04,完了,,,", "実績値", "「完了」は進捗（マイルストーン）の指標にだけ使えます"),
])
def test_row_refusals(policy, line, column, message):
    p = only_error(read(policy, "K4-3,2025-04,1,,,\n" + line + "\n"))
    assert (p.row, p.column) == (3, column)
    assert p.message.startswith(message), p.message
    assert str(p) == f"3行目 {column}: {p.message}"


def test_example_message_from_the_issue(policy):
    res = read(policy, "K1-1,2025-04,1,,,\nK1-1,2025-05,1,,,\nK1-1,2025-06,1,,,\nK1-1,2025-13,1,,,\n")
    assert [str(e) for e in res.errors] == ["5行目 年月: 2025-13 は年月として読めません"]


def test_conflicting_duplicate_refused(policy):
    res = read(policy, "K1-1,2025-04,10,,,\nK1-1,2025/4,11,,,\n")
    p = only_error(res)
    assert (p.row, p.column, p.message) == (3, "指標ID", "K1-1 2025-04 が 2行目と重複していて、値が違います（10 と 11）")
    assert not res.ok and not res.rows


def test_identical_duplicate_is_a_warning_and_kept_once(policy):
    res = read(policy, "K1-1,2025-04,10,,,\nK1-1,令和7年4月,10件,,,\n")
    assert res.ok and res.rows == [Actual("K1-1", "2025-04", 10.0)]
    assert [(w.row, w.column, w.message) for w in res.warnings] == [(3, "指標ID", "K1-1 2025-04 は 2行目と同じ内容の重複です（1行として登録します）")]


def test_several_problems_all_listed_in_row_order(policy):
    res = read(policy, "K9-9,2025-13,x,,,\nK1-1,2025-04,1,,,\nK1-2,2099-01,-1,,,\n")
    assert [(e.row, e.column) for e in res.errors] == [(2, "指標ID"), (2, "年月"), (2, "実績値"), (4, "年月"), (4, "実績値")]
    assert not res.rows and not res.ok


def test_error_list_is_capped(policy):
    body = "".join(f"K1-1,2025-04,bad{k},,,\n" for k in range(MAX_PROBLEMS + 500))
    res = read(policy, body)
    assert len(res.errors) == MAX_PROBLEMS + 1
    assert res.errors[-1] == Problem(None, None, f"ほかに 500 件のエラーがあります（最初の {MAX_PROBLEMS:,} 件を表示）")


# --- warnings -------------------------------------------------------------------------

@pytest.mark.parametrize("line,column,message", [
    ("K1-2,2025-04,0.25,,,", "実績値", "0.25 は 0.25% と 25% のどちらか判別できません。25% のつもりなら 25 と入力してください"),
    ("K2-1,2025-04,0.5,,,", "実績値", "0.5 は 0.5% と 50% のどちらか判別できません"),
    ("K1-2,2025-04,30,448,2000,", "実績値", "実績値 30 が 分子÷分母×100 = 22.4 と一致しません"),
    ("K1-2,2025-04,22,448,,", "分母", "分子と分母は両方入力してください"),
    ("K1-1,2015-04,10,,,", "年月", "2015-04 は運営方針の対象年度（令和4年度〜令和9年度）の外の月です"),
])
def test_ambiguities_are_warnings(policy, line, column, message):
    res = read(policy, line + "\n")
    assert res.ok and not res.errors
    assert [(w.row, w.column) for w in res.warnings] == [(2, column)]
    assert res.warnings[0].message.startswith(message), res.warnings[0].message


def test_ratio_rounded_to_a_whole_percent_is_not_warned(policy):
    assert not read(policy, "K1-2,2025-04,22,448,2000,\n").warnings


def test_previous_year_is_inside_the_policy_years(policy):
    assert not read(policy, "K4-3,2022-04,10,,,\n").warnings  # 前年度実績 of the first target year


# --- whole-file refusals --------------------------------------------------------------

def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    return buf.getvalue()


@pytest.mark.parametrize("data,name,message", [
    (b"", "a.csv", "ファイルが空です"),
    (b"  \r\n\r\n", "a.csv", "ファイルが空です"),
    (b"\xef\xbb\xbf", "a.csv", "ファイルが空です"),
    (b"indicator_id,month,value\n", "a.csv", "見出し行だけで、データ行がありません"),
    (b"indicator_id,month,value\r\n,,\r\n,,\r\n", "a.csv", "見出し行だけで、データ行がありません"),
    ("指標ID,年月,実績値\n".encode("cp932"), "a.csv", "見出し行だけで、データ行がありません"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "report.csv", "PDF ファイルは読めません"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "graph.csv", "画像ファイル（PNG）は読めません"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "photo.csv", "画像ファイル（JPEG）は読めません"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "古い Excel 形式（.xls）は読めません"),
    (b"\x00\x01\x02\x03binary\x00\x00", "a.csv", "表（CSV または Excel）として読めないファイルです（バイナリデータを含みます）"),
    (bytes(range(1, 32)) * 20, "a.csv", "表（CSV または Excel）として読めないファイルです（制御文字を多く含みます）"),
    (b"<html><body><table></table></body></html>", "a.xls", "表（CSV または Excel）として読めないファイルです（HTML や XML などの文書です）"),
    (b"indicator_id,month,value\n", "a.xlsx", "拡張子は .xlsx ですが Excel ファイルではありません"),
    (b"PK\x03\x04garbage", "a.xlsx", "Excel ファイル（.xlsx）として開けません"),
    (_zip_bytes(), "a.docx", "ZIP 形式のファイルですが Excel（.xlsx）ではありません"),
    (b"indicator_id,month,value\nK1-1,2025-04,\x81\x20\xe3\n", "a.csv", "文字コードを読み取れません"),
])
def test_file_refusals(policy, data, name, message):
    p = only_error(read_actuals(data, name, policy, today=TODAY))
    assert p.row is None and p.column is None
    assert p.message.startswith(message), p.message


@pytest.mark.parametrize("header,missing", [
    ("indicator_id,month", "1行目 必要な列がありません: 実績値"),
    ("指標ID,実績値", "1行目 必要な列がありません: 年月"),
    ("month,value", "1行目 必要な列がありません: 指標ID"),
    ("年月,実績値,備考", "1行目 必要な列がありません: 指標ID"),
])
def test_missing_columns(policy, header, missing):
    res = read(policy, "K1-1,2025-04\n", header=header)
    assert [str(e) for e in res.errors] == [missing]


def test_missing_header_row(policy):
    p = only_error(read(policy, "K1-1,2025-04,10\nK1-2,2025-04,20\n", header=None))
    assert p.row == 1 and p.message.startswith("見出し行がありません")


def test_no_header_at_all(policy):
    p = only_error(read(policy, "a,b,c\n1,2,3\n", header=None))
    assert p.row == 1 and p.message.startswith("見出し行が見つかりません")


def test_wide_template_with_nothing_filled(policy):
    p = only_error(read(policy, "K1-1,手続き,,\n", header="指標ID,指標名,2025年4月,2025年5月"))
    assert p.message.startswith("実績が1件も入力されていません")


def test_file_above_the_size_limit(policy):
    data = (HEADER + "\nK1-1,2025-04,1,,,\n").encode()
    p = only_error(read_actuals(data, "a.csv", policy, today=TODAY, max_bytes=10))
    assert p.message == f"ファイルが大きすぎます（{len(data):,} バイト、上限 10 バイト）"
    assert read_actuals(data, "a.csv", policy, today=TODAY, max_bytes=len(data)).ok


# --- the result object and the store --------------------------------------------------

def test_read_result_without_frame():
    assert not ReadResult().ok and ReadResult().rows == [] and ReadResult().source_rows == {}
    r = ReadResult(rows=[Actual("K1-1", "2025-04", 1.0)])
    assert r.ok and r.n_rows == 1
    r.rows.append(Actual("K1-1", "2025-05", 2.0))
    assert r.n_rows == 2


def test_frame_and_rows_store_the_same_parquet(policy, store):
    from kpi import db

    res = read(policy, "K1-1,2025-04,1523,,,\"カンマ,と\"\"引用\"\"\"\nK1-2,2025-04,22.4,448,2000,\nK2-1,2025-05,完了,,,\n")
    assert res.ok
    store.root.mkdir(parents=True, exist_ok=True)
    for name, rows in (("fast", res.frame), ("slow", res.rows)):
        (store.root / name).mkdir()
        write_rows(rows, store.root / name / "rows.parquet")
    a, b = (db.batch_rows([str(store.root / name / "rows.parquet")]) for name in ("fast", "slow"))
    assert a.drop(columns="batch_id").fillna("").astype(str).values.tolist() == b.drop(columns="batch_id").fillna("").astype(str).values.tolist()
    assert a["note"].tolist() == ["カンマ,と\"引用\"", "", ""] and (a["batch_id"].tolist(), b["batch_id"].tolist()) == (["fast"] * 3, ["slow"] * 3)
    assert rows_table(res.frame).equals(rows_table(res.rows))


def test_rows_commit_through_the_store(policy, store):
    raw = (JA_HEADER + "\nK1-1,2025/4,\"1,523件\",,,\nK1-2,令和7年4月,,448,2000,初回\n").encode("cp932")
    res = read_actuals(raw, "実績.csv", policy, today=TODAY)
    assert res.ok
    batch = store.write_batch(raw, "実績.csv", res.rows, "tester")
    assert [(a.indicator_id, a.month, a.value, a.numerator, a.denominator, a.note, a.batch_id) for a in store.current()] == [
        ("K1-1", "2025-04", 1523.0, None, None, "", batch), ("K1-2", "2025-04", 22.4, 448.0, 2000.0, "初回", batch)]
    assert store.original(batch) == raw


def test_cp932_only_characters(policy):
    """Excel's Shift_JIS is CP932: ①, ～, 髙 and NEC/IBM extensions must come through (never the 'shift_jis' codec)."""
    raw = (JA_HEADER + "\r\nK1-1,2025/4,10,,,①～髙﨑\r\n").encode("cp932")
    res = read_actuals(raw, "a.csv", policy, today=TODAY)
    assert res.ok and res.encoding == "cp932" and res.rows[0].note == "①～髙﨑"
