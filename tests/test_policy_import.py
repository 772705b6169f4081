"""Policy import from the published text (issue 18, point 1): the seed reproduces data/, the fictional ward page
gives its 経営課題, indicators, targets, periods and published results, the wording guesses, and the CLI."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from kpi import policy_import as pi
from kpi.cli import main
from kpi.kinds import KINDS
from kpi.policy import load_policy

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
SEED = HERE / "seed" / "000_d323183fcf303bed.txt"
WARD = HERE / "seed" / "ward_page_fictional.txt"  # a copy of shared/examples/ward_page_fictional.txt (架空の区)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def seed() -> pi.Imported:
    return pi.parse(SEED.read_text(encoding="utf-8"), 2025)


@pytest.fixture(scope="module")
def ward() -> pi.Imported:
    return pi.parse(WARD.read_text(encoding="utf-8"), 2024)


def rows_by(imp: pi.Imported, name: str, *key: str) -> dict[tuple, dict[str, str]]:
    return {tuple(r[k] for k in key): r for r in imp.rows()[name]}


def data_by(name: str, *key: str) -> dict[tuple, dict[str, str]]:
    return {tuple(r[k] for k in key): r for r in read_csv(DATA / name)}


# --- the seed reproduces data/ for every field the text states ------------------------------------------------

# (file, key columns, the columns the text states). Not stated, so not compared here: issues.short_title (data/ has
# hand-made short titles; the import writes the title), indicators.short_name (a guess, see below).
STATED = [
    ("policy.csv", ("field",), ("label", "text")),
    ("issues.csv", ("issue_id",), ("title", "recognition")),
    ("strategies.csv", ("issue_id", "strategy_no"), ("strategy",)),
    ("indicators.csv", ("indicator_id",), ("issue_id", "strategy_no", "wording", "unit", "period_start_fy", "period_end_fy")),
    ("targets.csv", ("indicator_id", "fiscal_year"), ("target", "qualifier", "per", "source_text")),
    ("budgets.csv", ("issue_id", "fiscal_year"), ("kind", "amount_million_yen", "source_text")),
]


@pytest.mark.parametrize(("name", "key", "columns"), STATED, ids=[s[0] for s in STATED])
def test_seed_import_equals_data_field_by_field(seed, name, key, columns):
    got, want = rows_by(seed, name, *key), data_by(name, *key)
    assert set(got) == set(want), f"{name}: rows {sorted(set(got) ^ set(want))}"
    differ = [(k, c, got[k][c], want[k][c]) for k in want for c in columns if got[k][c] != want[k][c]]
    assert not differ, differ


def test_seed_guesses_of_kind_and_direction_match_data(seed):
    """The text does not state them: the wording guesses reproduce all 15 of data/."""
    got, want = rows_by(seed, "indicators.csv", "indicator_id"), data_by("indicators.csv", "indicator_id")
    assert {k: (r["aggregation"], r["direction"]) for k, r in got.items()} == \
        {k: (r["aggregation"], r["direction"]) for k, r in want.items()}


def test_seed_short_names_follow_data_where_the_wording_is_the_name(seed):
    """data/ short names were written by hand for 9 of 15 indicators (e.g. 「AI音声認識の利用実績（市全体・月）」 for
    「市全体で月1,870時間以上の利用実績」); the import's are the wording without its year clause, 「（累計）」 kept, at most
    30 characters — the other 6 equal data/."""
    got, want = rows_by(seed, "indicators.csv", "indicator_id"), data_by("indicators.csv", "indicator_id")
    differ = {k[0] for k in want if got[k]["short_name"] != want[k]["short_name"]}
    assert differ == {"K2-3", "K2-4", "K3-1", "K4-2", "K4-3", "K4-4", "K4-5", "K4-6", "K4-8"}
    assert got[("K1-1",)]["short_name"] == "オンラインでできる手続き数（累計）"
    assert all(len(r["short_name"]) <= pi.SHORT_NAME_MAX for r in got.values())


def test_seed_contract_columns_beyond_data(seed):
    """What the contract adds over data/: the 「令和8年度までに」 target covers the years from the policy's own."""
    t = rows_by(seed, "targets.csv", "indicator_id", "fiscal_year")
    assert t[("K4-5", "2026")]["period_start_fy"] == "2025" and t[("K4-5", "2025")]["period_start_fy"] == ""
    assert all(r["baseline"] == "" for r in t.values())
    assert seed.results == []  # the seed's 達成状況 cells are empty
    assert "results.csv" not in pi.files(seed) and "budgets.csv" in pi.files(seed)
    assert pi.files(seed)["targets.csv"].decode("utf-8").splitlines()[0] == \
        "indicator_id,fiscal_year,target,qualifier,per,source_text,period_start_fy,baseline,baseline_source"


def test_seed_guesses_are_listed_in_japanese_with_the_words_used(seed):
    lines = {(g.indicator_id, g.field): g.line for g in seed.guesses}
    assert lines[("K1-1", "aggregation")] == ("K1-1「オンラインでできる手続き数」: 集計方法を latest（最新月の値） としました"
                                             "（「累計」から推定）。確認してください。")
    assert "「月」から推定" in lines[("K2-4", "aggregation")]
    assert "「/年」から推定" in lines[("K4-3", "aggregation")]
    assert "「改定」から推定" in lines[("K4-8", "aggregation")]
    assert "手がかりとなる語がないため既定値" in lines[("K4-1", "direction")]
    # 「内部管理業務（バックオフィス）の本市全体最適化」 names strategy 1 in other words: a guess to review
    assert ("K2-1", "strategy_no") in lines and ("K1-1", "strategy_no") not in lines
    # short name, kind, direction each; the strategy of K2-1 and of K4-5/6/7 (under 「データ活用方針に基づく取組」)
    assert len(seed.guesses) == 3 * 15 + 4
    assert {g.indicator_id for g in seed.guesses if g.field == "strategy_no"} == {"K2-1", "K4-5", "K4-6", "K4-7"}


def test_seed_written_folder_loads_as_the_policy(seed, tmp_path):
    written = pi.write_folder(seed, tmp_path / "digital" / "2025")
    assert [p.name for p in written] == ["policy.csv", "issues.csv", "strategies.csv", "indicators.csv", "targets.csv",
                                         "budgets.csv"]
    mine, ref = load_policy(tmp_path / "digital" / "2025"), load_policy(DATA)
    assert list(mine.indicators) == list(ref.indicators)
    assert mine.fiscal_year == 2025 and mine.text("department") == "デジタル統括室"
    for iid, ind in ref.indicators.items():
        got = mine.indicators[iid]
        assert (got.unit, got.aggregation, got.direction, got.period, got.strategy) == \
            (ind.unit, ind.aggregation, ind.direction, ind.period, ind.strategy), iid
        assert {fy: (t.value, t.qualifier, t.per) for fy, t in got.targets.items()} == \
            {fy: (t.value, t.qualifier, t.per) for fy, t in ind.targets.items()}, iid
    assert mine.budgets == tuple(b for b in ref.budgets)


# --- the fictional ward page (the city's web form, half-width brackets) ---------------------------------------

def test_ward_page_issues_and_indicators(ward):
    assert [(i.number, i.title) for i in ward.issues] == [("1", "防災・減災"), ("2", "子育て支援"), ("3", "地域のつながり")]
    assert [d.indicator_id for d in ward.indicators] == ["K1-1", "K1-2", "K2-1", "K2-2", "K3-1"]
    texts = {f: t for f, _, t in ward.texts}
    assert texts["department"] == "みなと架空区" and texts["fiscal_year"] == "2024" and "head" not in texts
    assert texts["self_evaluation"].startswith("防災では訓練を全地域で実施できたが")
    assert ward.issues[0].strategies == ["家庭ごとの避難計画(マイ避難カード)の作成を支援する", "地域ごとの要援護者避難支援訓練を実施する"]
    assert ward.problems == []


def test_ward_page_targets_qualifiers_and_periods(ward):
    t = {(r["indicator_id"], r["fiscal_year"]): (r["target"], r["qualifier"], r["period_start_fy"])
         for r in ward.rows()["targets.csv"]}
    assert t == {
        ("K1-1", "2024"): ("6000", "以上", "2022"),  # 6,000世帯以上(R4~R6作成合計目標): the period's total
        ("K1-2", "2024"): ("12", "", ""),
        ("K2-1", "2024"): ("80", "以上", ""),
        ("K2-2", "2024"): ("100", "", ""),  # オンライン相談窓口の開設 令和6年度中: a milestone
        ("K3-1", "2026"): ("40", "以上", "2024"),  # 令和8年度までに40%以上 …
        ("K3-1", "2024"): ("35", "", ""),  # … (令和6年度 35%)
    }
    ind = {r["indicator_id"]: r for r in ward.rows()["indicators.csv"]}
    assert [(ind[i]["unit"], ind[i]["aggregation"]) for i in ind] == [
        ("世帯", "sum"), ("地域", "latest"), ("%", "ratio"), ("%", "milestone"), ("%", "latest")]
    assert (ind["K1-1"]["period_start_fy"], ind["K1-1"]["period_end_fy"]) == ("2022", "2024")
    assert (ind["K3-1"]["period_start_fy"], ind["K3-1"]["period_end_fy"]) == ("", "2026")
    k11 = next(r for r in ward.rows()["targets.csv"] if r["indicator_id"] == "K1-1")
    assert k11["source_text"] == "マイ避難カードを作成した世帯の数 6,000世帯以上(R4~R6作成合計目標)"  # as written


def test_ward_page_published_results(ward):
    got = {(r.indicator_id, r.fiscal_year): (r.value, r.period_value, r.grade) for r in ward.results}
    assert got == {
        ("K1-1", 2024): (1950, 5410, "B"), ("K1-2", 2024): (12, None, "A"), ("K2-1", 2024): (83.4, None, "A"),
        ("K2-2", 2024): (None, None, "A"), ("K3-1", 2024): (33.0, None, "B"),
        ("K1-1", 2023): (1880, None, ""), ("K1-2", 2023): (9, None, ""), ("K2-1", 2023): (76.1, None, ""),
        ("K3-1", 2023): (31.2, None, ""),  # K2-2's 前年度実績 is 「－」: no row
    }
    sources = {(r.indicator_id, r.fiscal_year): r.source_text for r in ward.results}
    assert sources[("K1-1", 2024)] == "6年度作成世帯数1,950世帯(R4~R6作成合計5,410世帯):B"
    assert sources[("K1-1", 2023)] == "1,880世帯"
    rows = {(r["indicator_id"], r["fiscal_year"]): r for r in ward.rows()["results.csv"]}
    assert (rows[("K1-1", "2024")]["value"], rows[("K1-1", "2024")]["period_value"]) == ("1950", "5410")


def full_width(text: str) -> str:
    """The same page as the city publishes it: full-width brackets, colons and wave dashes."""
    return text.translate(str.maketrans({"(": "（", ")": "）", ":": "：", "~": "〜", "<": "＜", ">": "＞"}))


def test_ward_page_full_width_reads_the_same_and_keeps_its_text(ward):
    wide = pi.parse(full_width(WARD.read_text(encoding="utf-8")), 2024)

    def semantic(imp):
        return ({k: {c: v for c, v in r.items() if c != "source_text"} for k, r in rows_by(imp, "targets.csv", "indicator_id", "fiscal_year").items()},
                [(r.indicator_id, r.fiscal_year, r.value, r.period_value, r.grade) for r in imp.results])

    assert semantic(wide) == semantic(ward)
    assert wide.results[0].source_text == "6年度作成世帯数1,950世帯（R4〜R6作成合計5,410世帯）：B"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_decode_accepts_utf8_bom_and_cp932(encoding):
    text = WARD.read_text(encoding="utf-8")
    assert pi.decode(text.encode(encoding)) == text


def test_decode_refuses_other_bytes():
    with pytest.raises(pi.ImportRefused, match="文字コード"):
        pi.decode(b"\x82\xa0\xff\xfe\x81")


@pytest.mark.parametrize("text", ["", "   \n", "令和7年度 ○○局運営方針\n目標\tなにか\n"])
def test_a_text_without_any_issue_is_refused(text):
    with pytest.raises(pi.ImportRefused):
        pi.parse(text, 2025)


def test_a_sentence_beginning_with_a_heading_word_stays_text():
    text = ("令和6年度テスト区運営方針\n【経営課題1】テスト\n課題認識\n目標の達成には人手が要る\n"
            "主な戦略\n・人を増やす\nアウトカム指標\n・参加者数 令和6年度 10人\n")
    imp = pi.parse(text, 2024)
    assert imp.issues[0].recognition == ["目標の達成には人手が要る"]
    assert imp.indicators[0].targets[0].value == 10 and imp.indicators[0].unit == "人"


# --- the wording guesses ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "unit", "per", "milestone", "by_year", "kind", "words"), [
    ("オンラインでできる手続き数 2,000件（累計）", "件", "", False, False, "latest", "累計"),
    ("マイ避難カードを作成した世帯の数 6,000世帯以上(R4~R6作成合計目標)", "世帯", "", False, False, "sum", "合計"),
    ("転出におけるマイナポータルの利用率25%", "%", "", False, False, "ratio", "率"),
    ("回答した利用者の割合 80%以上", "%", "", False, False, "ratio", "割合"),
    ("区民の割合 令和8年度までに40%以上", "%", "", False, True, "latest", "割合・までに"),
    ("利用状況を全所属の70%以上とする", "%", "", False, True, "latest", "%"),
    ("バックオフィスDX統合プラットフォーム構築業務の開始", "%", "", True, False, "milestone", "開始"),
    ("人材育成計画を策定", "%", "", True, False, "milestone", "策定"),
    ("研修を実施", "%", "", True, False, "milestone", "実施"),
    ("オンライン相談窓口の開設", "%", "", True, False, "milestone", "開設"),
    ("受講者60名程度/年", "名", "年", False, False, "sum", "/年"),
    ("市全体で月1,870時間以上の利用実績", "時間", "月", False, False, "mean", "月"),
    ("支援数 2所属", "所属", "", False, False, "latest", ""),
])
def test_guess_aggregation(text, unit, per, milestone, by_year, kind, words):
    assert pi.guess_aggregation(text, unit, per, milestone, by_year) == (kind, words)
    assert kind in KINDS


@pytest.mark.parametrize(("text", "direction", "words"), [
    ("待ち時間 30分以下", "lower", "以下"),
    ("紙の申請件数を2割削減", "lower", "削減"),
    ("事故件数 10件未満", "lower", "未満"),
    ("利用者の割合 80%以上", "higher", "以上"),
    ("支援数 2所属", "higher", ""),
])
def test_guess_direction(text, direction, words):
    assert pi.guess_direction(text) == (direction, words)


@pytest.mark.parametrize(("text", "value", "unit", "qualifiers", "per"), [
    ("2,000件（累計）", 2000, "件", ("累計",), ""),
    ("6,000世帯以上(R4~R6作成合計目標)", 6000, "世帯", ("以上",), ""),
    ("市全体で月1,870時間以上の利用実績", 1870, "時間", ("以上",), "月"),
    ("受講者60名程度/年", 60, "名", ("程度",), "年"),
    ("2業務の検証", 2, "業務", (), ""),
    ("令和8年度までに40%以上(令和6年度 35%)", 40, "%", ("以上",), ""),
    ("令和6年10月に開設 83.4%", 83.4, "%", (), ""),
    ("１２地域", 12, "地域", (), ""),
])
def test_figures_skip_years_and_read_unit_and_qualifiers(text, value, unit, qualifiers, per):
    f = pi.figures(pi.norm(text))[0]
    assert (f.value, f.unit, f.qualifiers, f.per) == (value, unit, qualifiers, per)


@pytest.mark.parametrize(("text", "expected"), [
    ("R4~R6作成合計", (2022, 2024)),
    ("令和5年度から令和7年度にかけて", (2023, 2025)),
    ("R4〜R6", (2022, 2024)),
    ("令和6～8年度", (2024, 2026)),
    ("令和7年度 60%", None),
])
def test_periods(text, expected):
    assert pi.period_of(text) == expected


# --- the command line ---------------------------------------------------------------------------------------------

def test_cli_writes_the_folder_and_prints_the_review(tmp_path, capsys):
    out = tmp_path / "minato" / "2024"
    assert main(["policy", "import", str(WARD), "--fy", "2024", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "経営課題 3件、指標 5件" in printed and "公表された実績 9件" in printed
    assert "K1-1「マイ避難カードを作成した世帯の数」: 集計方法を sum（月の合計） としました（「合計」から推定）" in printed
    assert sorted(p.name for p in out.iterdir()) == ["budgets.csv", "indicators.csv", "issues.csv", "policy.csv",
                                                      "results.csv", "strategies.csv", "targets.csv"]
    assert read_csv(out / "budgets.csv") == []  # the page states no budgets: the header only
    assert load_policy(out).fiscal_year == 2024


def test_cli_json(tmp_path, capsys):
    raw = WARD.read_text(encoding="utf-8").encode("cp932")
    src = tmp_path / "ward_sjis.txt"
    src.write_bytes(raw)
    assert main(["policy", "import", str(src), "--fy", "2024", "--out", str(tmp_path / "o"), "--dept-name", "港区（架空）",
                 "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert set(rec) >= {"issues", "indicators", "results", "problems"}
    k11 = rec["indicators"][0]
    assert {k: k11[k] for k in ("indicator_id", "short_name", "target", "unit", "qualifiers", "aggregation", "direction",
                                "period_start_fy", "period_end_fy")} == {
        "indicator_id": "K1-1", "short_name": "マイ避難カードを作成した世帯の数", "target": 6000, "unit": "世帯",
        "qualifiers": ["以上"], "aggregation": "sum", "direction": "higher", "period_start_fy": 2022, "period_end_fy": 2024}
    assert k11["guessed"] == ["short_name", "aggregation", "direction", "strategy_no"]
    assert rec["results"][0] == {"indicator_id": "K1-1", "fiscal_year": 2024, "value": 1950, "period_value": 5410,
                                 "grade": "B", "source_text": "6年度作成世帯数1,950世帯(R4~R6作成合計5,410世帯):B"}
    assert load_policy(tmp_path / "o").text("department") == "港区（架空）"


def test_cli_refuses_a_non_empty_folder_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "policy.csv").write_text("keep", encoding="utf-8")
    assert main(["policy", "import", str(WARD), "--fy", "2024", "--out", str(out)]) == 1
    assert "空ではありません" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["policy.csv"] and (out / "policy.csv").read_text(encoding="utf-8") == "keep"


def test_cli_refuses_text_that_is_not_a_policy(tmp_path, capsys):
    src = tmp_path / "memo.txt"
    src.write_text("会議メモ\nとくになし\n", encoding="utf-8")
    assert main(["policy", "import", str(src), "--fy", "2024", "--out", str(tmp_path / "o"), "--json"]) == 1
    rec = json.loads(capsys.readouterr().out)
    assert rec["ok"] is False and "経営課題" in rec["error"]
    assert not (tmp_path / "o").exists()


def test_cli_missing_file_is_refused(tmp_path, capsys):
    assert main(["policy", "import", str(tmp_path / "none.txt"), "--fy", "2024", "--out", str(tmp_path / "o")]) == 1
    assert "ファイルを読めません" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["policy"], ["policy", "import", "x.txt", "--out", "o"], ["policy", "import", "x.txt", "--fy", "2024"],
                                  ["policy", "import", "x.txt", "--fy", "R7", "--out", "o"]])
def test_cli_usage_exits_2(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "使い方の誤り" in capsys.readouterr().err


def test_cli_year_out_of_range_is_usage(tmp_path, capsys):
    assert main(["policy", "import", str(WARD), "--fy", "7", "--out", str(tmp_path / "o")]) == 2
    assert "西暦の年度ではありません" in capsys.readouterr().err


def test_cli_warns_when_the_text_states_another_year(tmp_path, capsys):
    assert main(["policy", "import", str(WARD), "--fy", "2025", "--out", str(tmp_path / "o")]) == 0
    assert "本文の年度（令和6年度）と指定の年度（令和7年度）が違います" in capsys.readouterr().err


def test_a_sentence_naming_an_issue_is_not_an_issue_heading():
    text = WARD.read_text(encoding="utf-8").replace("3分野を重点的な経営課題と位置づけ、区を運営する",
                                                   "3分野を重点的な経営課題と位置づけ、区を運営する\n経営課題1に最も力を入れる")
    imp = pi.parse(text, 2024)
    assert len(imp.issues) == 3
    assert dict((f, t) for f, _, t in imp.texts)["approach"].endswith("経営課題1に最も力を入れる")


# --- the editor's choices, the year the title states, the department's folder ------------------------------------

def test_with_choices_applies_the_review_and_refuses_unknown_values(ward):
    imp = pi.parse(WARD.read_text(encoding="utf-8"), 2024)
    imp.with_choices({"K1-2": {"aggregation": "sum", "direction": "lower", "short_name": "訓練実施地域数"}})
    row = next(r for r in imp.rows()["indicators.csv"] if r["indicator_id"] == "K1-2")
    assert (row["aggregation"], row["direction"], row["short_name"]) == ("sum", "lower", "訓練実施地域数")
    for bad, message in [({"aggregation": "total"}, "集計方法「total」は使えません"), ({"direction": "up"}, "方向「up」は使えません"),
                         ({"short_name": " "}, "指標名（短い名前）が空です")]:
        with pytest.raises(ValueError, match=message):
            imp.with_choices({"K1-1": bad})


@pytest.mark.parametrize(("text", "fy"), [("令和6年度みなと架空区運営方針\n", 2024), ("\n\n令和7年度 デジタル統括室運営方針（案）", 2025),
                                          ("令和１０年度 ○○局運営方針", 2028), ("○○局運営方針", None), ("メモ", None)])
def test_stated_year(text, fy):
    assert pi.stated_year(text) == fy


def test_department_folder_rules(tmp_path):
    assert pi.department_folder(tmp_path, "minato-ku", 2024) == tmp_path / "minato-ku" / "2024"
    (tmp_path / "minato-ku" / "2024").mkdir(parents=True)
    assert pi.department_folder(tmp_path, "minato-ku", 2024)  # an empty year folder may receive it
    (tmp_path / "minato-ku" / "2024" / "policy.csv").write_text("x", encoding="utf-8")
    with pytest.raises(pi.ImportRefused, match="令和6年度の運営方針はすでにあります"):
        pi.department_folder(tmp_path, "minato-ku", 2024)
    for bad in ("", "Minato", "港区", "../x", "a/b", "-x", "x" * 65):
        with pytest.raises(pi.ImportRefused, match="は使えません"):
            pi.department_folder(tmp_path, bad, 2024)
    with pytest.raises(pi.ImportRefused, match="所属ひとつの運営方針のフォルダ"):
        pi.department_folder(DATA, "minato", 2024)


def test_archive_holds_the_same_files(seed):
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(pi.archive(seed))) as z:
        assert {n: z.read(n) for n in z.namelist()} == pi.files(seed)


def test_web_page_with_strategy_lines_and_a_legend():
    """Real pages may put the strategy on a line of its own above its target, and the A/B legend under the heading."""
    text = ("令和7年度 テスト局運営方針\n【経営課題1】便利な手続き\n主な戦略(課題解決の方策)\n・行政手続きのオンライン化\n・窓口の待ち時間の短縮\n"
            "アウトカム指標\n・行政手続きのオンライン化\n令和7年度 オンラインでできる手続き数 2,000件(累計)\n"
            "・窓口の待ち時間の短縮\n令和7年度 平均待ち時間 15分以下\n"
            "アウトカム指標の達成状況(定量評価)\n＜令和7年度実績と達成状況　※A：達成　B：未達成＞\n※A：達成　B：未達成\n"
            "・2,046件：A\n・17分：B\n＜前年度実績＞\n・1,500件\n・20分\n")
    imp = pi.parse(text, 2025)
    assert [(d.indicator_id, d.strategy_no, d.wording, d.unit, d.aggregation, d.direction) for d in imp.indicators] == [
        ("K1-1", "1", "オンラインでできる手続き数", "件", "latest", "higher"),
        ("K1-2", "2", "平均待ち時間", "分", "latest", "lower")]
    assert [(r.indicator_id, r.fiscal_year, r.value, r.grade) for r in imp.results] == [
        ("K1-1", 2025, 2046, "A"), ("K1-2", 2025, 17, "B"), ("K1-1", 2024, 1500, ""), ("K1-2", 2024, 20, "")]
    assert imp.problems == []


def filled_seed() -> str:
    """The seed's 様式 filled at year end: 経営課題1's two results under 「7年度実績と達成状況」 and 「前年度実績」."""
    text = SEED.read_text(encoding="utf-8")
    head = "アウトカム 指標の達成状況 (定量評価)\t7年度実績と達成状況 ※A：達成 B：未達成\t\t\t前年度実績\t\t"
    assert head in text
    return text.replace(head, head + "\n\t<p>オンラインでできる手続き数 2,046件：A</p><p>23.6%：B</p>\t\t\t<p>1,500件</p><p>－</p>\t\t", 1)


def test_seed_form_filled_at_year_end_gives_its_results():
    imp = pi.parse(filled_seed(), 2025)
    assert [(r.indicator_id, r.fiscal_year, r.value, r.grade, r.source_text) for r in imp.results] == [
        ("K1-1", 2025, 2046, "A", "オンラインでできる手続き数 2,046件：A"), ("K1-2", 2025, 23.6, "B", "23.6%：B"),
        ("K1-1", 2024, 1500, "", "1,500件")]
    assert imp.problems == [] and len(imp.indicators) == 15


# --- the limits of a text ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("a\x00b", "1行目に制御文字（U+0000）があります"),
    ("一行目\n二行目\n三\x1b行目", "3行目に制御文字（U+001B）があります"),
    ("一\r\n二\r\n\x0c", "3行目に制御文字（U+000C）があります"),
    ("一\n二\x7f", "2行目に制御文字（U+007F）があります"),
    ("一\n二\n三\n\x9b", "4行目に制御文字（U+009B）があります"),
    ("a" * (pi.MAX_CHARS + 1), "本文が長すぎます（200,001文字）。200,000文字までにしてください"),
])
def test_check_text_refuses_control_characters_and_length(text, message):
    with pytest.raises(pi.ImportRefused) as refused:
        pi.check_text(text)
    assert str(refused.value).startswith(message)
    with pytest.raises(pi.ImportRefused):  # parse checks first, as the CLI and the page call it
        pi.parse(text, 2025)


@pytest.mark.parametrize("text", ["タブ\tと\r\n改行\rは\n使える", "全角　空白・「括弧」", "a" * pi.MAX_CHARS])
def test_check_text_accepts_tabs_line_breaks_and_the_longest(text):
    pi.check_text(text)


def test_the_seed_and_the_ward_page_pass_the_checks():
    for path in (SEED, WARD):
        pi.check_text(path.read_text(encoding="utf-8"))


def test_decode_refuses_a_file_over_the_size():
    assert pi.decode("運営方針".encode("cp932")) == "運営方針"
    assert pi.decode(b"a" * pi.MAX_UPLOAD_BYTES) == "a" * pi.MAX_UPLOAD_BYTES
    with pytest.raises(pi.ImportRefused, match="ファイルが大きすぎます（1.0MB）。運営方針の本文は 1MB までにしてください"):
        pi.decode(b"a" * (pi.MAX_UPLOAD_BYTES + 1))


# --- after the review: the guesses still open, and the summary of a save -----------------------------------------

def test_open_guesses_are_those_the_editor_left_as_guessed():
    imp = pi.parse(WARD.read_text(encoding="utf-8"), 2024)
    assert len(imp.open_guesses()) == len(imp.guesses) == 17
    imp.with_choices({"K1-2": {"aggregation": "sum", "direction": "higher", "short_name": "訓練を実施した地域"}})
    open_ = {(g.indicator_id, g.field) for g in imp.open_guesses()}
    assert ("K1-2", "aggregation") not in open_ and ("K1-2", "short_name") not in open_
    assert ("K1-2", "direction") in open_  # chosen as guessed: still the guess
    assert len(open_) == 15


def test_save_summary_says_where_what_and_the_guesses_to_check(ward, tmp_path):
    out = tmp_path / "minato" / "2024"
    written = pi.write_folder(ward, out)
    lines = pi.save_summary(ward, out, written)
    assert lines[:3] == [
        f"保存先: {out}",
        "ファイル: policy.csv、issues.csv、strategies.csv、indicators.csv、targets.csv、budgets.csv、results.csv",
        "経営課題 3件、アウトカム指標 5件、目標 6件、予算・決算 0件、公表された実績 9件"]
    assert lines[3] == ("推定のまま保存した項目 17件（主な戦略 2件、指標名（短い名前） 5件、集計方法 5件、方向 5件）。"
                        "指標の画面で確認し、違っていれば indicators.csv を直してください:")
    assert lines[4:] == [f"・{g.line}" for g in ward.guesses]


def test_save_summary_when_every_guess_was_changed(tmp_path):
    text = ("令和7年度 テスト局運営方針\n【経営課題1】便利な手続き\n主な戦略\n・窓口の待ち時間の短縮\n"
            "アウトカム指標\n・窓口の待ち時間の短縮\n令和7年度 平均待ち時間 15分以下\n")
    imp = pi.parse(text, 2025)
    imp.with_choices({"K1-1": {"aggregation": "mean", "direction": "higher", "short_name": "待ち時間"}})
    lines = pi.save_summary(imp, tmp_path, [])
    assert lines[-1] == "推定した項目はすべて確認済みです。"


# --- the package -----------------------------------------------------------------------------------------------------

def test_the_package_exports_its_interface_and_never_imports_streamlit():
    import importlib
    import pkgutil
    import subprocess
    import sys

    assert len(set(pi.__all__)) == len(pi.__all__) and all(hasattr(pi, name) for name in pi.__all__)
    modules = [importlib.import_module(f"kpi.policy_import.{m.name}") for m in pkgutil.iter_modules(pi.__path__)]
    assert len(modules) >= 8 and all(m.__doc__ for m in [pi, *modules])
    code = "import sys, kpi.policy_import; print('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
