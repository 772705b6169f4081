"""AppTest of 「方針の取り込み」 (app_pages/policy_import.py), driven on the page file: paste or upload the published
text, see what was read, review the guesses, save a new department's policy folder; editors only."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

import conftest
from conftest import ROOT
from kpi import departments
from kpi import policy_import as pi
from kpi.policy import load_policy
from ui.tables import escape

PAGE = str(ROOT / "app_pages" / "policy_import.py")
WARD = ROOT / "tests" / "seed" / "ward_page_fictional.txt"
SEED = ROOT / "tests" / "seed" / "000_d323183fcf303bed.txt"
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret", "client_id": "dashboard",
        "client_secret": "secret", "server_metadata_url": "https://login.example.jp/.well-known/openid-configuration"}


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """A root of departments holding the bundled policy as digital/2025, and a store beside it."""
    r = tmp_path / "data"
    shutil.copytree(ROOT / "data", r / "digital" / "2025")
    monkeypatch.setenv("KPI_DATA_DIR", str(r))
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "store"))
    monkeypatch.delenv("KPI_EDITORS", raising=False)
    return r


def page(**secrets) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in secrets.items():
        at.secrets[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def unescape(markdown: str) -> str:
    """What an escaped message (ui.escape) reads on screen: no backslashes, no word joiners."""
    return conftest.unescape(markdown)


def texts(at: AppTest) -> str:
    return "\n".join(unescape(str(e.value)) for e in (*at.text, *at.caption, *at.info, *at.warning, *at.error, *at.success,
                                                        *at.title))


def statuses(at: AppTest) -> list[tuple[str, str]]:
    """(label, state) of every st.status block drawn."""
    found, todo = [], [at._tree]
    while todo:
        node = todo.pop()
        if type(node).__name__ == "Status":
            found.append((node.label, node.state))
        todo.extend(getattr(node, "children", {}).values())
    return found


def table(at: AppTest, column: str):
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def paste(at: AppTest, text: str) -> AppTest:
    at.text_area(key="pi_text").input(text).run()
    assert not at.exception, at.exception
    return at


def test_without_text_the_page_asks_for_it(root):
    at = page()
    assert "本文を貼り付けるか、ファイルを選んでください。" in texts(at)
    assert not at.button  # nothing to save yet


def test_pasted_ward_page_shows_issues_indicators_results_and_guesses(root):
    at = paste(page(), WARD.read_text(encoding="utf-8"))
    assert at.number_input(key="pi_fy").value == 2024  # the year the title states
    shown = texts(at)
    assert "令和6年度みなと架空区運営方針（令和6年度（2024年度）・所属: みなと架空区）" in shown
    assert "経営課題 3件　指標 5件　目標 6件　予算・決算 0件　公表された実績 9件" in shown
    issues = table(at, "経営課題")
    assert list(issues["名称"]) == ["防災・減災", "子育て支援", "地域のつながり"]
    inds = table(at, "目標")
    assert list(inds["指標ID"]) == ["K1-1", "K1-2", "K2-1", "K2-2", "K3-1"]
    assert inds.iloc[0]["目標"] == "令和4年度〜令和6年度 6000世帯 以上"
    assert inds.iloc[4]["目標"] == "令和6年度 35%、令和8年度〜 40% 以上".replace("令和8年度〜 ", "令和6年度〜令和8年度 ")
    results = table(at, "評価")
    assert list(results["実績"])[:2] == ["1950", "12"] and results.iloc[0]["期間の実績"] == "5410"
    review = table(at, "推定の根拠")
    assert list(review["集計方法"]) == ["sum", "latest", "ratio", "milestone", "latest"]
    assert review.iloc[0]["推定の根拠"] == "集計方法:「合計」、方向:「以上」"
    assert "K1-2「要援護者避難支援訓練を実施した地域の数」: 集計方法を latest（最新月の値） としました" in shown


def test_policy_text_is_never_markdown(root):
    """A policy line that looks like Markdown or HTML is shown as written (st.text / tables), never interpreted."""
    title = "**太字** :material/home: [リンク](https://example.jp)"
    text = WARD.read_text(encoding="utf-8").replace("【経営課題3】地域のつながり", f"【経営課題3】{title}")
    text = text.replace("令和6年度みなと架空区運営方針", "令和6年度みなと架空区**太字**運営方針")
    at = paste(page(), text)
    assert title in list(table(at, "経営課題")["名称"])
    assert "令和6年度みなと架空区**太字**運営方針（令和6年度（2024年度）・所属: みなと架空区**太字**）" in [t.value for t in at.text]
    assert all("太字" not in m.value for m in (*at.markdown, *at.caption, *at.subheader, *at.title))


def test_save_writes_the_department_folder_and_it_loads(root):
    at = paste(page(), WARD.read_text(encoding="utf-8"))
    at.text_input(key="pi_dept_id").input("minato-ku").run()
    at.button(key="pi_save").click().run()
    assert not at.exception, at.exception
    assert "保存しました（令和6年度・指標 5件）。サイドバーの「表示の条件を変える」の「所属」から選べます。" in texts(at)
    # run on its own (not through app.py's pages) the page cannot link to 概要: it says where it is
    assert "概要は、ダッシュボードで ?dept=minato-ku&fy=2024 を開くと表示されます。" in texts(at)
    folder = root / "minato-ku" / "2024"
    p = load_policy(folder)
    assert p.text("department") == "みなと架空区" and list(p.indicators) == ["K1-1", "K1-2", "K2-1", "K2-2", "K3-1"]
    assert (folder / "results.csv").exists()
    cat = departments.catalog(root, root.parent / "store")
    assert set(cat.departments) == {"digital", "minato-ku"} and cat.departments["minato-ku"].name == "みなと架空区"
    # a second save of the same year is refused: nothing is overwritten
    before = (folder / "targets.csv").read_bytes()
    at.button(key="pi_save").click().run()
    assert "保存しませんでした" in texts(at) and "すでにあります" in texts(at)
    assert statuses(at) == [("保存しませんでした", "error")]  # the progress box ends in the refusal
    assert (folder / "targets.csv").read_bytes() == before


@pytest.mark.parametrize("dept_id", ["", "Minato", "港区", "../x", "-x"])
def test_a_bad_department_id_is_refused(root, dept_id):
    at = paste(page(), WARD.read_text(encoding="utf-8"))
    at.text_input(key="pi_dept_id").input(dept_id).run()
    at.button(key="pi_save").click().run()
    assert "所属ID「" in texts(at) and "は使えません" in texts(at)
    assert sorted(p.name for p in root.iterdir()) == ["digital"]


def test_a_single_policy_folder_root_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_DATA_DIR", str(ROOT / "data"))
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "store"))
    at = paste(page(), WARD.read_text(encoding="utf-8"))
    at.text_input(key="pi_dept_id").input("minato").run()
    at.button(key="pi_save").click().run()
    assert "所属ひとつの運営方針のフォルダです" in texts(at)
    assert not (ROOT / "data" / "minato").exists()


def test_upload_cp932_and_the_year_can_be_changed(root):
    at = page()
    at.file_uploader(key="pi_file").set_value(("seed.txt", SEED.read_text(encoding="utf-8").encode("cp932"), "text/plain")).run()
    assert not at.exception, at.exception
    assert at.number_input(key="pi_fy").value == 2025
    assert "経営課題 4件　指標 15件　目標 16件　予算・決算 12件　公表された実績 0件" in texts(at)
    at.text_input(key="pi_dept_id").input("digital").run()
    at.button(key="pi_save").click().run()
    assert "すでにあります" in texts(at)  # digital/2025 exists
    at.number_input(key="pi_fy").set_value(2026).run()
    assert "本文の年度（令和7年度）と指定の年度（令和8年度）が違います" in texts(at)
    at.button(key="pi_save").click().run()
    assert "保存しました" in texts(at)
    assert load_policy(root / "digital" / "2026").fiscal_year == 2026


def test_text_that_is_not_a_policy_is_refused(root):
    at = paste(page(), "会議メモ\nとくになし")
    assert "読み取れませんでした: 経営課題" in texts(at)
    assert not at.button


def test_only_editors_see_the_page(root):
    at = page(auth=AUTH, kpi={"editors": ["editor@city.example.jp"]})
    assert "運営方針の取り込みは編集者だけが行えます" in texts(at)
    assert not at.text_area and not at.file_uploader and "pi_save" not in {b.key for b in at.button}


def test_an_editor_who_lost_the_right_saves_nothing(root):
    editor = {"is_logged_in": True, "email": "editor@city.example.jp", "name": "編集者"}
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["auth"], at.secrets["kpi"] = AUTH, {"editors": ["editor@city.example.jp"]}
    at.user = editor
    at.run()
    paste(at, WARD.read_text(encoding="utf-8"))
    at.text_input(key="pi_dept_id").input("minato").run()
    assert at.button(key="pi_save")
    at.secrets["kpi"] = {"editors": []}  # removed from the editors after the page was drawn
    at.button(key="pi_save").click().run()
    assert not at.exception, at.exception
    assert "編集者" in texts(at) and "保存しました" not in texts(at)
    assert sorted(p.name for p in root.iterdir()) == ["digital"]


def test_messages_are_escaped_never_markdown(root):
    """An exception's message holds what was typed: it is escaped, so 「*」「_」「[…](…)」 read as written."""
    at = paste(page(), WARD.read_text(encoding="utf-8"))
    typed = "**x**_y_[a](https://example.jp)"
    at.text_input(key="pi_dept_id").input(typed).run()
    at.button(key="pi_save").click().run()
    (shown,) = [e.value for e in at.error]
    assert shown.startswith(escape(f"保存しませんでした: 所属ID「{typed}」は使えません"))
    assert unescape(shown).startswith(f"保存しませんでした: 所属ID「{typed}」は使えません")
    assert not re.search(r"(?<!\\)\*(?<!\\)\*", shown) and not re.search(r"(?<!\\)\]\(", shown)  # no unescaped ** or ](


@pytest.mark.parametrize(("line", "char"), [(1, "\x00"), (5, "\x1b"), (12, "\x7f"), (20, "\x85")])
def test_a_control_character_is_refused_naming_the_line(root, line, char):
    lines = WARD.read_text(encoding="utf-8").splitlines()
    lines[line - 1] = lines[line - 1][:3] + char + lines[line - 1][3:]
    at = paste(page(), "\n".join(lines))
    assert f"読み取れませんでした: {line}行目に制御文字（U+{ord(char):04X}）があります" in texts(at)
    assert "pi_save" not in {b.key for b in at.button}


def test_the_text_area_and_the_upload_have_limits(root):
    at = page()
    assert at.text_area(key="pi_text").proto.max_chars == pi.MAX_CHARS == 200_000
    assert at.file_uploader(key="pi_file").proto.max_upload_size_mb == pi.MAX_UPLOAD_MB == 1
    assert f"運営方針の本文（{pi.MAX_CHARS:,}文字まで）" == at.text_area(key="pi_text").label
    assert "1MBまで" in at.file_uploader(key="pi_file").label
    # a file over the size, and one within it whose text is over the length: refused in Japanese
    at.file_uploader(key="pi_file").set_value(("big.txt", b"a" * (pi.MAX_UPLOAD_BYTES + 1), "text/plain")).run()
    assert "ファイルを読めませんでした: ファイルが大きすぎます（1.0MB）。運営方針の本文は 1MB までにしてください" in texts(at)
    at.file_uploader(key="pi_file").set_value(("long.txt", b"a" * (pi.MAX_CHARS + 1), "text/plain")).run()
    assert "読み取れませんでした: 本文が長すぎます（200,001文字）。200,000文字までにしてください" in texts(at)


def test_save_summary_and_the_link_to_the_new_departments_overview(root, tmp_path):
    """Through app.py: the save ends in a summary (where, what, the guesses to check) and a link to 概要 that opens
    the new department's year."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/policy_import.py").run()
    paste(at, WARD.read_text(encoding="utf-8"))
    at.text_input(key="pi_dept_id").input("minato").run()
    at.button(key="pi_save").click().run()
    assert not at.exception, at.exception
    summary = texts(at)
    folder = root / "minato" / "2024"
    assert f"保存先: {folder}" in summary
    assert "ファイル: policy.csv、issues.csv、strategies.csv、indicators.csv、targets.csv、budgets.csv、results.csv" in summary
    assert "経営課題 3件、アウトカム指標 5件、目標 6件、予算・決算 0件、公表された実績 9件" in summary
    assert "推定のまま保存した項目 17件（主な戦略 2件、指標名（短い名前） 5件、集計方法 5件、方向 5件）" in summary
    assert "・K1-2「要援護者避難支援訓練を実施した地域の数」: 集計方法を latest（最新月の値） としました" in summary
    (link,) = at.get("page_link")
    assert (link.proto.label, link.proto.query_string) == ("保存した所属の概要を開く", "dept=minato&fy=2024")
    assert link.proto.page_script_hash  # a page of app.py's navigation (概要), not a URL
    # following the link: 概要 of みなと架空区, 令和6年度
    at.query_params["dept"], at.query_params["fy"] = "minato", "2024"
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    assert at.session_state["_filters"].dept == "minato" and at.session_state["_filters"].fy == 2024


DEPT_EDITOR = {"is_logged_in": True, "email": "digital@city.example.jp", "name": "所属の編集者"}
CITY_EDITOR = {"is_logged_in": True, "email": "city@city.example.jp", "name": "市の編集者"}
EDITORS = {"editors": ["city@city.example.jp"], "departments": {"digital": {"editors": ["digital@city.example.jp"]},
                                                                "kita": {"editors": ["kita@city.example.jp"]}}}


def as_user(user: dict, shown_dept: str = "digital") -> AppTest:
    """The page for a signed-in ``user`` with ``shown_dept`` chosen in the sidebar (what ui.auth.can_edit reads)."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["auth"], at.secrets["kpi"] = AUTH, EDITORS
    at.user = user
    at.session_state["_filters"] = SimpleNamespace(dept=shown_dept)
    at.run()
    assert not at.exception, at.exception
    return paste(at, WARD.read_text(encoding="utf-8"))


def save_as(at: AppTest, dept_id: str) -> AppTest:
    at.text_input(key="pi_dept_id").input(dept_id).run()
    at.button(key="pi_save").click().run()
    assert not at.exception, at.exception
    return at


def test_a_departments_editor_cannot_create_a_new_department(root):
    at = as_user(DEPT_EDITOR)
    at.text_input(key="pi_dept_id").input("minato").run()
    assert [unescape(w.value) for w in at.warning][-1].startswith("新しい所属「minato」を作れるのは")  # before the click
    at = save_as(at, "minato")
    assert "保存しませんでした: 新しい所属「minato」を作れるのは、市全体の編集者（[kpi] editors）だけです。" in texts(at)
    assert "保存しました" not in texts(at) and sorted(p.name for p in root.iterdir()) == ["digital"]


def test_a_departments_editor_cannot_add_to_another_department(root):
    shutil.copytree(root / "digital" / "2025", root / "kita" / "2025")
    at = save_as(as_user(DEPT_EDITOR), "kita")
    assert "保存しませんでした: 所属「kita」の編集者ではないため、この所属に運営方針を追加できません" in texts(at)
    assert sorted(p.name for p in (root / "kita").iterdir()) == ["2025"]


def test_a_departments_editor_adds_a_year_to_their_own(root):
    at = save_as(as_user(DEPT_EDITOR), "digital")
    assert "保存しました（令和6年度・指標 5件）" in texts(at)
    assert load_policy(root / "digital" / "2024").fiscal_year == 2024


def test_a_city_editor_creates_a_new_department(root):
    at = save_as(as_user(CITY_EDITOR), "minato")
    assert "保存しました（令和6年度・指標 5件）" in texts(at)
    assert load_policy(root / "minato" / "2024").text("department") == "みなと架空区"


@pytest.mark.browser
def test_browser_paste_fix_a_guess_in_the_table_and_save(root, page, tmp_path):
    """The editor's flow in Chromium: paste the page, change K1-2's 集計方法 in the table (latest → sum), save."""
    from conftest import READY
    from tools import served

    srv = served.Server({"KPI_DATA_DIR": str(root), "KPI_STORE": str(tmp_path / "store")}, script=ROOT / "app_pages" / "policy_import.py")
    try:
        page.goto(srv.url)
        page.locator("h1").first.wait_for(timeout=60000)
        page.wait_for_selector(READY, timeout=60000)
        area = page.get_by_label("運営方針の本文")
        area.fill(WARD.read_text(encoding="utf-8"))
        area.press("Control+Enter")
        page.get_by_text("推定した項目の確認").wait_for(timeout=60000)
        page.wait_for_selector(READY, timeout=60000)
        editor = page.locator('[data-testid="stDataFrame"]').filter(has=page.locator("#glide-cell-1-1")).last
        # At the top of the window: the cell's list of choices opens below it, in a layer that cannot be scrolled to
        # (once, under load, it opened below the window's edge and the click waited out its 30 s).
        editor.evaluate("e => e.scrollIntoView({block: 'start'})")
        assert [editor.locator(f"#glide-cell-1-{r}").inner_text() for r in range(5)] == ["sum", "latest", "ratio", "milestone", "latest"]
        editor.locator("#glide-cell-0-0").evaluate("e => e.focus()")  # the grid's first cell; then the keyboard, as a user would
        for key in ("Enter", "Escape", "ArrowRight", "ArrowDown", "Enter"):
            page.keyboard.press(key)
        page.locator('#portal [role="option"]', has_text="月の合計（sum）").click()
        page.keyboard.press("Escape")
        page.wait_for_selector(READY, timeout=60000)
        page.get_by_label("所属ID（半角の英小文字・数字・「-」「_」。例 minato-ku）").fill("minato")
        page.get_by_label("所属ID（半角の英小文字・数字・「-」「_」。例 minato-ku）").press("Enter")
        page.wait_for_selector(READY, timeout=60000)
        page.get_by_role("button", name="この所属の運営方針として保存").click()
        page.get_by_text("保存しました（令和6年度・指標 5件）").wait_for(timeout=60000)
    finally:
        srv.stop()
    p = load_policy(root / "minato" / "2024")
    assert [(i.indicator_id, i.aggregation) for i in p.indicators.values()] == [
        ("K1-1", "sum"), ("K1-2", "sum"), ("K2-1", "ratio"), ("K2-2", "milestone"), ("K3-1", "latest")]
