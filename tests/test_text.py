"""One rule for every text a person types or a policy file brings (kpi.text), and the reproducers of issue 19:
control and non-characters, lengths, hand-typed numbers, the deck and the workbook over what a store already holds,
Markdown on the pages, and the policy CSV's cells."""
from __future__ import annotations

import io
import json
import re

import pytest
from openpyxl import load_workbook
from pptx import Presentation

from conftest import DATA, write_policy
from kpi import checkins, cli, export, text
from kpi import evaluation as ev
from kpi.policy import PolicyError, load_policy
from kpi.store import Store
from ui.tables import escape

FY = 2025
BAD = {  # character → what the message names
    "\x1b": "U+001B", "\x07": "U+0007", "\x00": "U+0000", "\u202e": "U+202E", "\u2066": "U+2066", "\x85": "U+0085",
    "\ufffe": "U+FFFE", "\uffff": "U+FFFF", "\ufdd0": "U+FDD0", "\U0001fffe": "U+1FFFE", "\ud800": "U+D800", "\u2028": "U+2028",
    "\ufeff": "U+FEFF", "\x7f": "U+007F",
}


# --- the rule ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ch,code", BAD.items())
@pytest.mark.parametrize("key", ["checkin.cause", "override.reason", "user", "evaluation.self_evaluation", "previous.note"])
def test_control_bidi_non_characters_and_surrogates_are_refused_naming_the_field(key, ch, code):
    with pytest.raises(text.TextError) as refused:
        text.clean(key, f"前{ch}後")
    message = str(refused.value)
    assert text.label(key) in message and code in message and "2文字目" in message
    assert ch not in message  # the message itself is printable


@pytest.mark.parametrize("key,multiline", [("checkin.cause", True), ("override.reason", True), ("user", False),
                                           ("checkin.comment", False), ("evaluation.future_policy", True)])
def test_newline_and_tab_only_where_the_field_has_lines(key, multiline):
    for ch in ("\n", "\t"):
        if multiline:
            assert text.clean(key, f"一行目{ch}二行目") == f"一行目{ch}二行目"
        else:
            with pytest.raises(text.TextError, match=text.label(key)):
                text.clean(key, f"一行目{ch}二行目")


def test_nfc_keeps_full_width_and_crlf_becomes_lf():
    assert text.clean("override.reason", "ｶﾞ ＡＢＣ １２３ ㈱") == "ｶﾞ ＡＢＣ １２３ ㈱"  # NFKC would make ABC 123 (株)
    assert text.clean("override.reason", "か\u3099") == "が"  # composed
    assert text.clean("checkin.cause", "  一行目\r\n二行目\r三行目 \n") == "一行目\n二行目\n三行目"
    assert text.clean("user", "𠮷野家 🍣") == "𠮷野家 🍣"  # outside the BMP, not a surrogate


@pytest.mark.parametrize("key,limit", [("checkin.cause", 2000), ("override.reason", 2000), ("previous.note", 2000),
                                       ("evaluation.self_evaluation", 10000), ("evaluation.future_policy", 10000),
                                       ("user", 100)])
def test_each_field_has_its_limit(key, limit):
    assert text.max_chars(key) == limit
    assert text.clean(key, "あ" * limit) == "あ" * limit
    with pytest.raises(text.TextError, match=f"{text.label(key)}は{limit:,}文字までです（{limit + 1:,}文字）"):
        text.clean(key, "あ" * (limit + 1))


@pytest.mark.parametrize("value,ok", [(0, True), (1523.5, True), ("2000", True), (1e15, True), (1e15 + 2, False), (1.7e308, False),
                                      (float("inf"), False), (float("nan"), False), (-1, False), ("abc", False), (None, False)])
def test_numbers_typed_by_hand_have_the_bounds_of_uploaded_ones(value, ok):
    if ok:
        assert text.number("前年度実績", value) == float(value)
    else:
        with pytest.raises(text.TextError, match="前年度実績"):
            text.number("前年度実績", value)


def test_displayable_drops_what_xml_cannot_hold_and_keeps_the_rest():
    kept = "要因: 予算\t執行\n遅れ ＡＢＣ 𠮷 🍣"
    assert text.displayable(kept) == kept
    assert text.displayable("a\x1bb\ufffec\u202ed\ud800e\x00f\U0001ffffg") == "abcdefg"


# --- 8. control characters in check-ins, overrides and user names (uploads refused them, these did not) ------------

@pytest.mark.parametrize("ch", ["\x1b", "\x07", "\x00", "\u202e", "\ufffe"])
def test_reproducer_8_check_ins_overrides_and_names_refuse_control_characters(tmp_path, ch):
    s = Store(tmp_path)
    with pytest.raises(ValueError, match="要因に使えない文字"):
        checkins.add(s, "K1-1", "2025-09", f"原因{ch}", "対策", "山田")
    with pytest.raises(ValueError, match="対策に使えない文字"):
        checkins.add(s, "K1-1", "2025-09", "原因", f"対策{ch}", "山田")
    with pytest.raises(ValueError, match="利用者名に使えない文字"):
        checkins.add(s, "K1-1", "2025-09", "原因", "対策", f"山田{ch}")
    with pytest.raises(ValueError, match="上書きの理由に使えない文字"):
        ev.set_override(s, FY, "K1-1", "A", f"理由{ch}", "山田")
    with pytest.raises(ValueError, match="利用者名に使えない文字"):
        ev.set_override(s, FY, "K1-1", "A", "理由", f"山田{ch}")
    with pytest.raises(ValueError, match="自己評価に使えない文字"):
        ev.set_text(s, FY, "self_evaluation", f"本文{ch}", "山田")
    with pytest.raises(ValueError, match="前年度実績の出典・備考に使えない文字"):
        ev.set_previous(s, FY, "K1-1", 10, "山田", f"備考{ch}")
    assert checkins.records(s) == [] and ev.records(s) == []  # nothing was written


def test_withdrawal_reason_is_checked_too(tmp_path):
    ev.set_override(tmp_path, FY, "K1-1", "A", "理由", "山田")
    with pytest.raises(ValueError, match="取り消しの理由に使えない文字 U\\+001B"):
        ev.withdraw_override(tmp_path, FY, "K1-1", "山田", "理由\x1b")
    ev.set_previous(tmp_path, FY, "K1-1", 10, "山田")
    with pytest.raises(ValueError, match="利用者名に使えない文字 U\\+202E"):
        ev.withdraw_previous(tmp_path, FY, "K1-1", "山田\u202e")


# --- 4. lengths: a 300,000-character reason was stored --------------------------------------------------------------

def test_reproducer_4_lengths_are_bounded(tmp_path):
    s = Store(tmp_path)
    with pytest.raises(ValueError, match="上書きの理由は2,000文字までです（300,000文字）"):
        ev.set_override(s, FY, "K1-1", "A", "長" * 300_000, "山田")
    with pytest.raises(ValueError, match="前年度実績の出典・備考は2,000文字まで"):
        ev.set_previous(s, FY, "K1-1", 10, "山田", "長" * 2001)
    with pytest.raises(ValueError, match="自己評価は10,000文字まで"):
        ev.set_text(s, FY, "self_evaluation", "長" * 10_001, "山田")
    with pytest.raises(ValueError, match="今後の方針は10,000文字まで"):
        ev.set_text(s, FY, "future_policy", "長" * 10_001, "山田")
    with pytest.raises(ValueError, match="利用者名は100文字まで"):
        ev.set_override(s, FY, "K1-1", "A", "理由", "名" * 101)
    with pytest.raises(ValueError, match="要因は2,000文字まで"):
        checkins.add(s, "K1-1", "2025-09", "長" * 2001, "対策", "山田")
    assert ev.records(s) == [] and checkins.records(s) == []
    ev.set_override(s, FY, "K1-1", "A", "長" * 2000, "名" * 100)  # at the limit: kept
    assert ev.overrides(s, FY)["K1-1"].reason == "長" * 2000


# --- 5. 前年度実績 of 1.7e308 made status --json print -Infinity --------------------------------------------------

def _status_json(store_root, capsys) -> str:
    assert cli.main(["status", "--json", "--fy", str(FY), "--as-of", "2026-03"]) == 0
    return capsys.readouterr().out


def test_reproducer_5_huge_previous_year_value_is_refused_and_never_printed_as_infinity(store, capsys, monkeypatch):
    monkeypatch.setenv("KPI_DATA_DIR", str(DATA))
    with pytest.raises(ValueError, match="大きすぎます"):
        ev.set_previous(store, FY, "K1-1", 1.7e308, "山田")
    with pytest.raises(ValueError, match="負の値"):
        ev.set_previous(store, FY, "K1-1", -1.7e308, "山田")
    # a record written before the bound: left out, never shown as Infinity
    store.append_record(ev.FOLDER, {"type": ev.PREVIOUS, "fiscal_year": FY, "indicator_id": "K1-1", "value": -1.7e308,
                                    "reason": "", "user": "古い記録"})
    out = _status_json(store.root, capsys)
    assert "Infinity" not in out and "NaN" not in out
    json.loads(out)


# --- 3. U+FFFE in a stored reason, user or 自己評価 stopped the PowerPoint --------------------------------------------

def _old_records(store: Store, junk: str) -> None:
    """Records as a store written before the text rule may hold them (the rule refuses them now)."""
    store.append_record(ev.FOLDER, {"type": ev.OVERRIDE, "fiscal_year": FY, "indicator_id": "K1-1", "grade": "A",
                                    "reason": f"理由{junk}です", "user": f"山田{junk}"})
    store.append_record(ev.FOLDER, {"type": ev.TEXT, "fiscal_year": FY, "key": "self_evaluation", "issue_id": None,
                                    "text": f"自己評価{junk}本文", "user": f"山田{junk}"})
    store.append_record(checkins.FOLDER, {"indicator_id": "K1-1", "month": "2025-09", "cause": f"要因{junk}",
                                          "action": "対策", "comment": "", "user": "山田"})


@pytest.mark.parametrize("junk", ["\ufffe", "\x1b", "\u202e"])  # (a lone surrogate cannot reach a store: JSON in UTF-8)
def test_reproducer_3_the_deck_and_the_workbook_hold_whatever_a_store_holds(sample_store, policy, junk):
    _old_records(sample_store, junk)
    scope = export.Scope(FY, (), "2026-03", ("summary", "evaluation"))  # the slides with texts; no chart pictures to wait for
    m = export.gather(sample_store, policy, scope)
    deck = Presentation(io.BytesIO(export.build(m, "pptx")))
    words = "\n".join(sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame)
    cells = "\n".join(c.text for s in deck.slides for sh in s.shapes if sh.has_table for row in sh.table.rows for c in row.cells)
    assert "理由です" in words + cells and "自己評価本文" in words
    assert junk not in words + cells and "_x001B_" not in words + cells
    book = load_workbook(io.BytesIO(export.build(m, "xlsx")))
    values = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert any("理由です" in v for v in values) and not any(junk in v for v in values)


def test_reproducer_3_the_materials_page_shows_a_japanese_error_not_a_traceback(store, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    monkeypatch.setenv("KPI_STORE", str(store.root))

    def broken(*args, **kwargs):
        raise RuntimeError("/srv/secret/path/deck.py line 1")

    monkeypatch.setattr(export, "build", broken)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/materials.py").run()
    at.button(key="mat_make").click().run()
    assert not at.exception, at.exception
    shown = "\n".join(e.value for e in at.error)
    assert "作成できませんでした" in shown and "ログ参照" in shown and "/srv/secret" not in shown
    logs = list((store.root / "logs").glob("*")) if (store.root / "logs").exists() else list(store.root.rglob("*.log"))
    assert any("/srv/secret" in p.read_text(encoding="utf-8") for p in logs if p.is_file())


# --- 7. Markdown: what a page escapes shows as written ----------------------------------------------------------------

PAYLOADS = ["![i](http://127.0.0.1:9/i.png)", ":red[x]", "$x^2$", "[a](http://127.0.0.1:9/x)", "http://127.0.0.1:9/auto",
            "www.example.com", "a@example.com", ":material/home:", "<script>x</script>", "**b**", "- item", "1. item", "# h",
            "`code`", "~~s~~", "<http://127.0.0.1:9/angle>", "&amp;", "| a | b |"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_leaves_no_markdown_construct_open(payload):
    out = escape(payload)
    bare = re.sub(r"\\.", "", out)  # what is left once the escaped characters are taken out
    assert not re.search(r"[\[\]*`~<>$&|!#]", bare), out
    assert "://" not in out and not re.search(r"(?i)www\.", out) and not re.search(r"@[a-z]", out)
    assert not re.search(r"(?<!\\):[a-z]", out)  # no :red[ or :material/ directive
    assert re.sub(r"\\(.)", r"\1", out).replace("\u2060", "") == payload  # the user reads what was written


# --- policy CSV text ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ch,code", [("\x1b", "U+001B"), ("\u202e", "U+202E"), ("\ufffe", "U+FFFE"), ("\x00", "U+0000")])
def test_policy_cells_refuse_control_and_non_characters_with_file_row_and_column(tmp_path, ch, code):
    indicators = (DATA / "indicators.csv").read_text(encoding="utf-8-sig").splitlines()
    head, first = indicators[0], indicators[1].split(",")
    column = head.split(",").index("short_name")
    first[column] = f"指標{ch}名"
    folder = write_policy(tmp_path / "p", {"indicators.csv": "\n".join([head, ",".join(first), *indicators[2:]]) + "\n"})
    with pytest.raises(PolicyError) as refused:
        load_policy(folder)
    p = next(p for p in refused.value.problems if code in p.message)
    assert (p.file, p.row, p.column) == ("indicators.csv", 2, "short_name")
    assert "「short_name」列の値に使えない文字" in p.message


def test_policy_cells_are_bounded_and_normalised(tmp_path):
    policy_csv = (DATA / "policy.csv").read_text(encoding="utf-8-sig")
    folder = write_policy(tmp_path / "p", {"policy.csv": policy_csv + f"mission2,長い,{'あ' * 5001}\n"})
    with pytest.raises(PolicyError, match="5,000文字まで"):
        load_policy(folder)
    folder = write_policy(tmp_path / "q", {"policy.csv": policy_csv.replace("title,", "title,", 1) + "note,メモ,か\u3099ＡＢＣ\n"})
    assert load_policy(folder).text("note") == "がＡＢＣ"


def test_command_line_checkin_override_and_rollback_refuse_by_the_same_rule(store, capsys, monkeypatch):
    monkeypatch.setenv("KPI_DATA_DIR", str(DATA))
    code = cli.main(["checkin", "K1-1", "--month", "2025-09", "--cause", "原因\x1b[31m", "--action", "対策", "--user", "山田"])
    assert code == 1 and "要因に使えない文字 U+001B（ESC）" in capsys.readouterr().err
    code = cli.main(["override", "K1-1", "--fy", "2025", "--grade", "A", "--reason", "理" * 2001, "--user", "山田", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["ok"] is False and "2,000文字まで" in out["error"]
    code = cli.main(["override", "K1-1", "--fy", "2025", "--grade", "A", "--reason", "理由", "--user", "山田\u202e"])
    assert code == 1 and "利用者名に使えない文字 U+202E" in capsys.readouterr().err
    code = cli.main(["rollback", "no-such-batch", "--reason", "理由\x07", "--user", "山田"])
    assert code == 1 and "U+0007" in capsys.readouterr().err
    assert ev.records(store) == [] and checkins.records(store) == []


@pytest.mark.parametrize("multiline", [True, False])
def test_the_quick_search_refuses_exactly_the_characters_of_the_rule(multiline):
    """kpi.text searches with one character class; it must agree with the rule on every code point."""
    field = text.Field("検査", 10, multiline)
    differ = [cp for cp in range(0x110000) if (text.problem(chr(cp), field) is None) == text._bad(cp, multiline)]
    assert differ == []
