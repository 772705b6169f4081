"""Every department, every year, one dashboard: the example root (two departments; one with two years whose
経営課題 differ; both using the same indicator IDs), isolation, years, editors, the URL, check-data, the CLI."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

import ui
from conftest import ROOT, figures, follow, frames, held, unescape
from kpi import departments, fiscal
from kpi import evaluation as ev
from kpi.checkdata import check_data, errors
from kpi.importer import commit, preview
from kpi.kinds import STATUSES
from kpi.service import results

EXAMPLES = ROOT / "examples" / "departments"
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s", "client_id": "c", "client_secret": "s",
        "server_metadata_url": "https://login.example.jp/.well-known/openid-configuration"}


@pytest.fixture
def root(tmp_path, monkeypatch):
    """The example root with an empty store per department, set as KPI_DATA_DIR / KPI_STORE."""
    monkeypatch.setenv("KPI_DATA_DIR", str(EXAMPLES))
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "store"))
    return departments.catalog(EXAMPLES, tmp_path / "store")


def kpi(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env={"PATH": "/usr/bin:/bin"} | env,
                          capture_output=True, text=True, timeout=120)


def load(dept: departments.Department, csv: str, user: str = "テスト") -> str:
    pv = preview(dept.store(), dept.combined_policy(), csv.encode(), "a.csv")
    assert pv.ok, pv.errors
    return commit(dept.store(), pv, user)


def test_the_example_root_has_two_departments_and_the_years_differ(root):
    assert list(root.departments) == ["digital", "higashisumiyoshi"] and root.several
    digital, ward = root.get("digital"), root.get("higashisumiyoshi")
    assert digital.fiscal_years() == [2025, 2026] and ward.fiscal_years() == [2026]
    assert list(digital.policy(2025).issues) == ["1", "2", "3", "4"] and list(digital.policy(2026).issues) == ["1", "2"]
    assert "K4-4" in digital.policy(2025).indicators and "K4-4" in digital.policy(2026).indicators  # continues (R6–R9)
    assert "K2-1" in digital.policy(2025).indicators and "K2-1" not in digital.policy(2026).indicators  # retired
    assert set(ward.policy().indicators) & set(digital.policy(2025).indicators) == {"K1-1", "K1-2", "K2-1", "K2-2"}  # the same IDs
    assert ward.policy().text("sample") and digital.policy(2026).text("sample") and not digital.policy(2025).text("sample")
    assert digital.store_root != ward.store_root
    assert (EXAMPLES / "digital" / "2025" / "indicators.csv").read_bytes() == (ROOT / "data" / "indicators.csv").read_bytes()


def test_a_single_policy_folder_is_one_department_with_the_store_itself(tmp_path):
    cat = departments.catalog(ROOT / "data", tmp_path / "s")
    assert cat.single and not cat.several and cat.get().store_root == tmp_path / "s"
    assert cat.get().fiscal_years() == [2025, 2026] and cat.get().default_year() == 2025


def test_actuals_and_evaluation_records_stay_in_their_department(root):
    digital, ward = root.get("digital"), root.get("higashisumiyoshi")
    load(digital, "indicator_id,month,value\nK1-1,2026-05,2222\n")
    load(ward, "indicator_id,month,value\nK1-1,2026-05,77\n")  # the same ID: the ward's 街頭犯罪
    d = next(r for r in results(digital.store(), digital.policy(2026), 2026, "2026-05") if r.indicator.indicator_id == "K1-1")
    w = next(r for r in results(ward.store(), ward.policy(2026), 2026, "2026-05") if r.indicator.indicator_id == "K1-1")
    assert (d.value, d.indicator.unit, w.value, w.indicator.unit) == (2222, "件", 77, "件")
    assert d.indicator.short_name != w.indicator.short_name
    ev.set_override(ward.store(), 2026, "K1-1", "A", "理由", "区の担当")
    assert ev.overrides(ward.store(), 2026) and not ev.overrides(digital.store(), 2026)


def test_an_indicator_that_continues_keeps_its_actuals_across_years(root):
    digital = root.get("digital")
    load(digital, "indicator_id,month,value\nK4-4,2025-06,30\nK4-4,2025-11,35\nK4-4,2026-05,12\n")
    r8 = next(r for r in results(digital.store(), digital.policy(2026), 2026, "2026-06") if r.indicator.indicator_id == "K4-4")
    assert (r8.value, r8.previous, r8.previous_source) == (12, 65, "実績から算定")  # R7's 30 + 35 as 前年度実績
    r7 = next(r for r in results(digital.store(), digital.policy(2025), 2025, "2026-03") if r.indicator.indicator_id == "K4-4")
    assert r7.value == 65 and r7.grade == "A"  # 65 ≥ 60名程度/年


def run(page: str | None = None, query: dict | None = None, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    if page and page != "app_pages/overview.py":  # the default page: already shown
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


LONG = "K" * 40


@pytest.mark.parametrize("query, said", [
    ({"dept": "nowhere"}, "所属「nowhere」"),
    ({"dept": "digital", "fy": "2030"}, "年度「2030」"),
    ({"dept": "digital", "fy": "2025", "issue": "9"}, "経営課題「9」"),
    ({"dept": "digital", "fy": "2025", "as_of": "2024-05"}, "基準月「2024-05」"),
    ({"dept": "digital", "as_of": "来月"}, "基準月「来月」"),
    ({"dept": "digital", "fy": LONG}, f"年度「{'K' * 30}…」"),  # a URL carries any length: 30 characters and …
    ({"dept": "digital", "fy": "[x](https://e.example)"}, "年度「[x](https://e.example)」"),  # as text, not a link
])
def test_a_link_value_the_view_does_not_offer_is_said_once_under_the_heading(root, query, said):
    """Under the page's heading, not in the sidebar: a phone keeps the sidebar folded away."""
    at = run("app_pages/overview.py", query)
    notes = [c.value for c in at.main.caption if "リンクで指定された" in c.value]
    assert len(notes) == 1, notes
    assert not [c for c in at.sidebar.caption if "リンクで指定された" in c.value]
    captions = [c.value for c in at.main.caption]
    assert captions.index(notes[0]) == 1  # right under the heading's line (所属・方針・年度・基準月)
    assert said in unescape(notes[0]) and unescape(notes[0]).endswith("は、この表示にないため使っていません。")
    assert not re.search(r"(?<!\\)[\[\]]", notes[0])  # every bracket escaped: Markdown forms no link
    at.run()  # the URL now says what is shown: nothing more to say
    assert not [c for c in at.caption if "リンクで指定された" in c.value]


def test_a_link_that_matches_the_view_says_nothing(root):
    at = run("app_pages/overview.py", {"dept": "higashisumiyoshi", "fy": "2026", "as_of": "2026-05", "issue": "1"})
    assert held(at.selectbox, "as_of").value == "2026-05"
    assert not [c for c in at.caption if "リンクで指定された" in c.value]


def test_the_sidebar_picks_the_department_and_its_years_kept_in_the_url(root):
    at = run("app_pages/overview.py", {"dept": "higashisumiyoshi", "fy": "2026"})
    assert held(at.selectbox, "dept").value == "higashisumiyoshi"
    assert held(at.selectbox, "fy").options == ["令和8年度（2026年度）"]
    assert "令和8年度 東住吉区運営方針（サンプル・架空）" in at.caption[0].value
    assert any("サンプル（架空）" in w.value for w in at.warning)  # the fictional policy says so
    assert (at.query_params["dept"], at.query_params["fy"]) == ("higashisumiyoshi", "2026")
    held(at.selectbox, "dept").set_value("digital").run()
    assert held(at.selectbox, "fy").options == ["令和7年度（2025年度）", "令和8年度（2026年度）"]
    assert held(at.selectbox, "fy").value == 2026  # the default: this year's policy
    assert at.query_params["dept"] == "digital"


def test_the_r7_evaluation_stays_editable_while_r8_is_the_default(root):
    at = run("app_pages/evaluation.py", {"dept": "digital"})
    assert held(at.selectbox, "fy").value == 2026
    held(at.selectbox, "fy").set_value(2025).run()
    rows = {r["指標ID"]: r for t in frames(at) if "最終評価" in t.columns for r in t.to_dict("records")}
    assert "K4-7" in rows and "K5-1" not in rows  # 令和7年度's own indicators
    at.selectbox(key="override_indicator").set_value("K4-7")
    at.radio(key="override_grade").set_value("A")
    at.text_area(key="override_reason").input("3事業目は3月に実施済み")
    next(b for b in at.button if b.label == "上書きを記録").click().run()
    assert not at.exception
    assert "K4-7" in ev.overrides(root.get("digital").store(), 2025)


def test_city_page_lists_every_department_and_links_to_its_overview(root):
    at = run("app_pages/city.py")
    (table,) = [h.proto.body for h in at.get("html") if "kpi-table" in h.proto.body]
    heads = [h.replace("<br>", "") for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table)]
    # every department shows the chosen year: no 年度 column (the caption says it), 伸び inside 予算's cell
    assert heads == ["所属", "◎達成", "○順調", "△注意", "×遅れ", "－未報告", "遅れ・注意の指標（悪い順）", "予算", "最終報告月", "最終登録"]
    links = set(re.findall(r'<a href="([^"]*)" target="_blank" rel="noopener">([^<]*)</a>', table))
    assert links == {("./?dept=digital&amp;fy=2026&amp;as_of=latest", "デジタル統括室（サンプル・架空）"),
                     ("./?dept=higashisumiyoshi&amp;fy=2026&amp;as_of=latest", "東住吉区役所（サンプル・架空）")}
    ward = next(row for row in table.split("<tr>") if "東住吉" in row)
    assert "K1-2 防犯パトロールへの参加者" in ward  # the ward's indicator behind its pace
    # the month it is read as of, in words: 最新 is the last month that has ended
    assert f"2所属の指標の状況（令和8年度・基準月 {fiscal.month_label(fiscal.latest_as_of(2026))}末）" in table
    assert re.search(r"R8 予算<br>[0-9,]+百万円<br>伸び [0-9.]+倍</td>", ward)
    assert "year" not in at.query_params  # the default year is not written
    follow(at, "令和7年度")
    assert at.query_params["year"] == "2025"
    # the ward has no 令和7年度 policy and shows its own year: a 年度 column, and each year's month is said
    table = next(h.proto.body for h in at.get("html") if "kpi-table" in h.proto.body)
    assert f"2所属の指標の状況（基準月 R7は令和8年3月末、R8は{fiscal.month_label(fiscal.latest_as_of(2026))}末）" in table
    assert [h.replace("<br>", "") for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table)][:2] == ["所属", "年度"]


def test_the_city_page_shows_its_own_year_and_keeps_the_sidebar_choices_for_the_next_page(root):
    at = run("app_pages/overview.py", {"dept": "digital"})
    held(at.selectbox, "fy").set_value(2025).run()
    held(at.multiselect, "issue").set_value(["2"]).run()
    at.switch_page("app_pages/city.py").run()
    assert not at.exception
    assert [s.key for s in at.sidebar.selectbox] == [] and not at.segmented_control  # 年度 is links (choices_html)
    (pages,) = [h.proto.body for h in at.sidebar.get("html") if 'class="kpi-pages"' in h.proto.body]  # several departments:
    assert re.findall(r'<a href="([^"]*)" data-kpi-page aria-current="page">', pages) == ["city"]  # 市全体 listed, and shown
    assert re.search(r'<nav class="kpi-choices" aria-label="年度">.*<span aria-current="true"[^>]*>令和8年度</span>',
                     next(h.proto.body for h in at.get("html") if "kpi-figures" in h.proto.body))
    (table,) = frames(at)  # the city's counts are the sums of the departments' rows
    shown = {name.split()[1]: int(value.rstrip("件")) for name, value in figures(at).items()}
    assert shown == {s: sum(int(c) for c in next(table[col] for col in table.columns if s in col)) for s in STATUSES}
    assert sum(shown.values()) > 0
    follow(at, "令和7年度")  # the city's own year: the sidebar's stays as chosen
    assert "R7" in frames(at)[0]["年度"].tolist()
    at.switch_page("app_pages/overview.py").run()
    assert (held(at.selectbox, "dept").value, held(at.selectbox, "fy").value, held(at.multiselect, "issue").value) == \
        ("digital", 2025, ["2"])


def test_an_upload_to_one_department_recomputes_only_its_row_on_the_city_page(root, monkeypatch):
    from kpi import city, fiscal

    at = run("app_pages/city.py")
    made = []
    summarise = city.summarise
    monkeypatch.setattr(city, "summarise", lambda d, fy=None: made.append(d.dept_id) or summarise(d, fy))
    at.run()
    assert made == []  # nothing changed: every row from the cache
    month = fiscal.latest_as_of(2026)
    load(root.get("higashisumiyoshi"), f"indicator_id,month,value\nK1-1,{month},5\n")
    at.run()
    assert made == ["higashisumiyoshi"]
    ward = frames(at)[0].set_index("所属").loc["東住吉区役所（サンプル・架空）"]
    assert ward["最終報告月"] == fiscal.month_label(month).replace("年", "年\n")  # the era's year on its own line


def test_the_city_page_is_offered_only_for_several_departments(root, tmp_path):
    single = departments.catalog(ROOT / "data", tmp_path / "s")
    assert "app_pages/city.py" not in [p for p, _, _ in ui.pages_for(ui.PAGES, single)]
    assert "app_pages/city.py" in [p for p, _, _ in ui.pages_for(ui.PAGES, root)]


def test_editors_of_one_department_cannot_write_to_another(root, monkeypatch):
    monkeypatch.delenv("KPI_EDITORS", raising=False)
    ward_editor = {"is_logged_in": True, "email": "ku@city.example.jp", "name": "区の担当"}
    for dept, allowed in (("higashisumiyoshi", True), ("digital", False)):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.secrets["auth"] = AUTH
        at.secrets["kpi"] = {"editors": [], "departments": {"higashisumiyoshi": {"editors": ["KU@city.example.jp"]}}}
        at.user = ward_editor
        at.query_params["dept"] = dept
        at.run()
        at.switch_page("app_pages/upload.py").run()
        assert bool(at.file_uploader) is allowed, dept
    from kpi.auth import department_editors

    monkeypatch.setenv("KPI_EDITORS_HIGASHISUMIYOSHI", "a@x.jp")
    assert department_editors("higashisumiyoshi") == {"a@x.jp"} and department_editors("digital") == frozenset()


def test_check_data_names_the_department_and_the_year(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(EXAMPLES, root)
    targets = root / "higashisumiyoshi" / "2026" / "targets.csv"
    targets.write_text(targets.read_text(encoding="utf-8").replace("K1-2,2026,1200", "K1-2,2026,千二百"), encoding="utf-8")
    (root / "digital" / "2027").mkdir()  # an empty year: no policy.csv
    problems = errors(check_data(root))
    assert [p.text for p in problems if p.department == "digital"] == []  # an empty year folder is only a warning
    (problem,) = problems
    assert (problem.department, problem.fiscal_year, problem.file, problem.row, problem.column) == (
        "higashisumiyoshi", 2026, "targets.csv", 3, "target")
    assert problem.text.startswith("所属 higashisumiyoshi・令和8年度（higashisumiyoshi/2026） targets.csv 3行目 target: ")
    assert check_data(EXAMPLES) == []


def test_cli_departments_and_dept(tmp_path):
    env = {"KPI_DATA_DIR": str(EXAMPLES), "KPI_STORE": str(tmp_path / "store")}
    out = json.loads(kpi("departments", "--json", env=env).stdout)
    assert [(d["id"], d["fiscal_years"]) for d in out] == [("digital", [2025, 2026]), ("higashisumiyoshi", [2026])]
    f = tmp_path / "a.csv"
    f.write_text("indicator_id,month,value\nK1-1,2026-05,77\n", encoding="utf-8")
    refused = kpi("import", str(f), env=env)
    assert refused.returncode == 2 and "digital（デジタル統括室）" in refused.stderr and "--dept" in refused.stderr
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").rglob("meta.json"))  # nothing written
    assert kpi("import", str(f), "--dept", "nosuch", env=env).returncode == 2
    assert kpi("import", str(f), "--dept", "higashisumiyoshi", env=env).returncode == 0
    ward = json.loads(kpi("status", "--dept", "higashisumiyoshi", "--fy", "2026", "--as-of", "2026-05", "--json", env=env).stdout)
    digital = json.loads(kpi("status", "--dept", "digital", "--fy", "2026", "--as-of", "2026-05", "--json", env=env).stdout)
    assert next(r for r in ward if r["indicator_id"] == "K1-1")["value"] == 77
    assert next(r for r in digital if r["indicator_id"] == "K1-1")["value"] is None  # another department's store
    one = {"KPI_DATA_DIR": str(ROOT / "data"), "KPI_STORE": str(tmp_path / "single")}
    assert kpi("status", "--json", env=one).returncode == 0  # one department: --dept may be left out


# --- issue 18: the date and the name a department goes by (each test fails on a hand-made mutation) ----------------

def _two_years(tmp_path, names: dict[int, str]) -> departments.Department:
    """A department with a policy folder per year, each naming the department as given (only policy.csv is read)."""
    for year, name in names.items():
        folder = tmp_path / "root" / "ward" / str(year)
        folder.mkdir(parents=True)
        (folder / "policy.csv").write_text(f"field,label,text\ndepartment,所属,{name}\nfiscal_year,年度,{year}\n", encoding="utf-8")
    return departments.catalog(tmp_path / "root", tmp_path / "store").get("ward")


@pytest.mark.parametrize("today, year", [
    ("2026-02-15", 2025),  # January–March belong to the fiscal year that began the April before
    ("2026-03-31", 2025),
    ("2026-04-01", 2026),
    ("2026-12-01", 2026),
    ("2025-01-10", 2025),  # before any folder's year has begun: the first
])
def test_the_default_year_is_the_fiscal_year_of_the_date(tmp_path, today, year):
    import datetime as dt

    dept = _two_years(tmp_path, {2025: "区", 2026: "区"})
    assert dept.default_year(dt.date.fromisoformat(today)) == year


def test_the_default_year_follows_the_clock(tmp_path, monkeypatch):
    import datetime as dt

    from kpi import fiscal

    dept = _two_years(tmp_path, {2025: "区", 2026: "区"})
    monkeypatch.setattr(fiscal, "current_month", lambda today=None: "2026-02")  # the clock fixed: February 2026
    assert dept.default_year() == 2025
    assert dept.default_year(dt.date(2026, 2, 1)) == 2025


def test_the_name_comes_from_the_newest_policy(tmp_path):
    dept = _two_years(tmp_path, {2025: "旧区役所", 2026: "新区役所"})
    assert dept.name == "新区役所"


# --- issue 19: IDs are exact, names may repeat, a stray folder takes nothing down ------------------------------------

def _twin_root(tmp_path, ids=("east-1", "east_1"), name="東部事務所"):
    """A root of departments that share a display name (and IDs that differ only by - and _)."""
    from conftest import DATA, write_policy

    root = tmp_path / "root"
    for dept_id in ids:
        policy_csv = (DATA / "policy.csv").read_text(encoding="utf-8-sig")
        policy_csv = re.sub(r"(?m)^department,([^,]*),.*$", rf"department,\1,{name}", policy_csv)
        write_policy(root / dept_id / "2025", {"policy.csv": policy_csv})
    return root


def test_reproducer_2_the_sidebar_chooses_by_id_when_names_repeat(tmp_path, monkeypatch):
    root = _twin_root(tmp_path)
    monkeypatch.setenv("KPI_DATA_DIR", str(root))
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "store"))
    cat = departments.catalog(root, tmp_path / "store")
    assert cat.get("east-1").name == cat.get("east_1").name == "東部事務所"
    labels = cat.labels()
    assert len(set(labels.values())) == 2 and labels["east-1"].endswith("（east-1）")
    for wanted in ("east-1", "east_1"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["dept"] = wanted
        at.run()
        assert not at.exception, at.exception
        assert at.session_state["_filters"].dept == wanted
        assert held(at.sidebar.selectbox, "dept").value == wanted


def test_reproducer_6_a_stray_year_folder_takes_no_department_down(tmp_path):
    from conftest import DATA, write_policy

    root = tmp_path / "root"
    write_policy(root / "digital" / "2025", {})
    write_policy(root / "digital" / "2025²", {})  # "2025²".isdigit() is True and int() fails
    write_policy(root / "digital" / "２０２５", {})  # int("２０２５") == 2025: it collided with 2025
    write_policy(root / "ward" / "2025", {})
    write_policy(root / "Ward" / "2025", {})  # upper case: not an ID
    (root / "ward" / "notes").mkdir()
    cat = departments.catalog(root, tmp_path / "store")
    assert list(cat.departments) == ["digital", "ward"]
    assert cat.get("digital").folders == {2025: root / "digital" / "2025"}
    skipped = {s.path: s.reason for s in cat.skipped}
    assert set(skipped) == {"digital/2025²", "digital/２０２５", "Ward", "ward/notes"}
    assert "半角数字4桁" in skipped["digital/２０２５"] and "英小文字" in skipped["Ward"]
    problems = check_data(root)
    found = {(p.department, p.file) for p in errors(problems)}
    assert {("digital", "2025²"), ("digital", "２０２５"), ("Ward", "Ward"), ("ward", "notes")} <= found
    assert DATA.exists()


def test_reproducer_6_the_command_line_and_the_pages_keep_working(tmp_path, monkeypatch):
    from conftest import write_policy

    root = tmp_path / "root"
    write_policy(root / "digital" / "2025", {})
    write_policy(root / "digital" / "2025²", {})
    write_policy(root / "ward" / "2025", {})
    env = {"KPI_DATA_DIR": str(root), "KPI_STORE": str(tmp_path / "store")}
    listed = kpi("departments", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [d["id"] for d in json.loads(listed.stdout)] == ["digital", "ward"]
    checked = kpi("check-data", env=env)
    assert checked.returncode == 1 and "2025²" in checked.stderr and "Traceback" not in checked.stderr
    monkeypatch.setenv("KPI_DATA_DIR", str(root))
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "store"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    box = [t.value for t in at.text if "2025²" in t.value]
    assert box and "年度のフォルダ名" in box[0]  # shown to editors (no sign-in configured: everyone edits)
