"""The upload belongs to the department (issue 18, point 5): a file's 指標名 / 単位 are checked against the chosen
department's indicators; a file whose names are another department's is refused naming it."""
from __future__ import annotations

import io

import openpyxl
import pytest

from conftest import WARD_POLICY
from kpi import ownership
from kpi.departments import catalog, department_of
from kpi.importer import preview

# A second ward using the same IDs for other indicators.
KITA = dict(WARD_POLICY) | {
    "policy.csv": WARD_POLICY["policy.csv"].replace("みなと架空区役所", "きた架空区役所"),
    "indicators.csv": "indicator_id,issue_id,strategy_no,short_name,wording,unit,aggregation,direction,period_start_fy,period_end_fy\n"
                      "W1-1,1,1,防災訓練の参加者数,防災訓練に参加した区民の数,人,sum,higher,,\n"
                      "W1-2,1,2,避難所の開設訓練の数,避難所の開設訓練の数,回,latest,higher,,\n",
}


@pytest.fixture
def root(ward_root):
    folder = ward_root / "kita" / "2024"
    folder.mkdir(parents=True)
    for name, text in KITA.items():
        (folder / name).write_text(text, encoding="utf-8")
    return ward_root


def upload(root, tmp_path, dept_id: str, text: str, name: str = "upload.csv", raw: bytes | None = None):
    dept = catalog(root, tmp_path / "stores").get(dept_id)
    return preview(dept.store(), dept.combined_policy(), raw if raw is not None else text.encode(), name)


MINATO_FILE = ("指標ID,指標名,単位,年月,実績値\n"
               "W1-1,マイ避難カードを作成した世帯の数,世帯,2024-05,120\n"
               "W1-2,要援護者避難支援訓練を実施した地域の数,地域,2024-05,3\n")


def test_a_file_for_another_department_is_refused_naming_it(root, tmp_path):
    pv = upload(root, tmp_path, "kita", MINATO_FILE)
    assert not pv.ok and pv.diff is None
    (p,) = pv.errors
    assert "みなと架空区役所" in p.message and "W1-1" in p.message and p.column == "指標名"


def test_the_departments_own_file_goes_in_with_width_and_spaces_normalised(root, tmp_path):
    text = MINATO_FILE.replace("マイ避難カードを作成した世帯の数", "マイ避難カードを 作成した世帯の数").replace(",世帯,", ",世帯 ,")
    text = text.replace("W1-2,要援護者", "Ｗ１－２,要援護者")  # full width in the ID too
    pv = upload(root, tmp_path, "minato", text)
    assert pv.ok, [str(p) for p in pv.errors]


def test_a_name_of_no_department_is_refused_naming_row_and_column(root, tmp_path):
    pv = upload(root, tmp_path, "minato", MINATO_FILE.replace("要援護者避難支援訓練を実施した地域の数", "町会の数"))
    assert not pv.ok
    (p,) = pv.errors
    assert (p.row, p.column) == (3, "指標名") and "町会の数" in p.message and "要援護者避難支援訓練を実施した地域の数" in p.message


def test_a_unit_of_another_indicator_is_refused(root, tmp_path):
    pv = upload(root, tmp_path, "minato", "指標ID,単位,年月,実績値\nW1-1,人,2024-05,120\n")
    assert not pv.ok and (pv.errors[0].row, pv.errors[0].column) == (2, "単位")


def test_a_file_without_names_or_units_is_not_checked(root, tmp_path):
    assert upload(root, tmp_path, "kita", "指標ID,年月,実績値\nW1-1,2024-05,120\n").ok


def test_an_excel_file_is_checked_as_well(root, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "実績"
    for row in MINATO_FILE.strip().splitlines():
        ws.append(row.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    pv = upload(root, tmp_path, "kita", "", "upload.xlsx", buf.getvalue())
    assert not pv.ok and "みなと架空区役所" in pv.errors[0].message


def test_the_department_of_a_folder(root):
    cat, dept_id = department_of(root / "kita" / "2024")
    assert dept_id == "kita" and set(cat.departments) == {"kita", "minato"}
    assert department_of(root.parent) is None


@pytest.mark.parametrize("text, key", [("ＡＢＣ　１", "ABC1"), (" 世 帯 ", "世帯"), ("％", "%")])
def test_names_are_compared_after_nfkc_without_spaces(text, key):
    assert ownership.key(text) == key


def test_the_departments_own_template_goes_in_and_another_departments_is_refused(root, tmp_path):
    import csv

    from kpi.template import template_csv

    minato = catalog(root, tmp_path / "stores").get("minato")
    rows = list(csv.reader(io.StringIO(template_csv(minato.policy(2024), 2024).decode("cp932"))))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "指標ID")
    april = rows[head].index("2024年4月分")  # the first month's column, after the template's fixed columns
    kind = rows[head].index("項目")  # 実績値 / 分子 / 分母 / 備考 rows: only 実績値 gets a figure
    filled = rows[:head + 1] + [r[:april] + ["10" if r[kind] == "実績値" else ""] + r[april + 1:]
                                for r in rows[head + 1:] if r and r[0].startswith("W")]
    out = io.StringIO()
    csv.writer(out).writerows(filled)
    raw = out.getvalue().encode("cp932")
    assert upload(root, tmp_path, "minato", "", "template.csv", raw).ok
    refused = upload(root, tmp_path, "kita", "", "template.csv", raw)
    assert not refused.ok and "みなと架空区役所" in refused.errors[0].message


@pytest.mark.parametrize("text", [MINATO_FILE, "令和6年度 実績（みなと）\n" + MINATO_FILE, MINATO_FILE.replace(",", "\t")],
                         ids=["header on line 1 (pyarrow)", "a title row above the header", "tab-separated"])
def test_every_shape_of_csv_is_checked_alike(root, tmp_path, text):
    pv = upload(root, tmp_path, "kita", text)
    assert not pv.ok and "みなと架空区役所" in pv.errors[0].message
    fast, general = ownership._distinct_fast(text.encode(), "x.csv"), ownership._distinct(text.encode(), "x.csv")
    assert fast is None or fast == general
