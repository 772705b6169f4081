"""Upload → preview → commit, the one path into the store (kpi.importer), without Streamlit."""
from __future__ import annotations

import json

import pytest
from pg import STORE_KINDS

from kpi import importer
from kpi.importer import CHANGED, NEW, UNCHANGED


def canonical(*lines: str, enc: str = "utf-8") -> bytes:
    return ("indicator_id,month,value,numerator,denominator,note\n" + "".join(line + "\n" for line in lines)).encode(enc)


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_preview_counts_new_changed_unchanged(sample_store, policy):
    raw = canonical("K1-1,2026-03,2046,,,サンプル（架空）", "K1-1,2026-02,2000,,,訂正", "K4-3,2024-04,5,,,")
    pv = importer.preview(sample_store, policy, raw, "/home/u/実績.csv")
    assert pv.ok and pv.file_name == "実績.csv"
    s = pv.summary()
    assert (s["rows"], s["new"], s["changed"], s["unchanged"], s["errors"]) == (3, 1, 1, 1, [])
    kinds = {(c.row.indicator_id, c.row.month): c.kind for c in pv.changes}
    assert kinds == {("K1-1", "2026-03"): UNCHANGED, ("K1-1", "2026-02"): CHANGED, ("K4-3", "2024-04"): NEW}
    table = importer.change_table(pv, policy)
    assert table == [{"ファイルの行": 3, "指標ID": "K1-1", "指標": policy.indicators["K1-1"].short_name, "年月": "令和8年2月",
                      "変更前": "1,979", "変更後": "2,000", "単位": policy.indicators["K1-1"].unit, "備考": "サンプル（架空） → 訂正",
                      "区分": CHANGED}]
    assert [r["年月"] for r in importer.change_table(pv, policy, (NEW,))] == ["令和6年4月"]


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_preview_writes_nothing_and_commit_records_who_and_counts(store, policy, store_kind):
    pv = importer.preview(store, policy, canonical("K1-2,2025-04,22.4,448,2000,"), "a.csv")
    assert store.is_empty() and (store_kind != "folder" or not store.root.exists())
    bid = importer.commit(store, pv, "editor@city.osaka.lg.jp")
    b = store.batch(bid)
    assert (b.user, b.rows, b.counts, b.source) == ("editor@city.osaka.lg.jp", 1, {NEW: 1, CHANGED: 0, UNCHANGED: 0}, "upload")
    a = store.current()[0]
    assert (a.indicator_id, a.month, a.value, a.numerator, a.denominator) == ("K1-2", "2025-04", 22.4, 448.0, 2000.0)
    again = importer.preview(store, policy, canonical("K1-2,2025-04,22.4,448,2000,"), "a.csv")
    assert again.summary()["unchanged"] == 1
    changed = importer.preview(store, policy, canonical("K1-2,2025-04,23,460,2000,"), "a.csv")
    assert importer.change_table(changed, policy)[0]["変更前"] == "22.4（448/2,000）"


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_file_with_any_error_is_refused_whole(store, policy):
    raw = canonical("K1-1,2025-04,100,,,", "K1-1,2025-13,5,,,", "K9-9,2025-05,1,,,", "K1-1,2025-05,abc,,,")
    pv = importer.preview(store, policy, raw, "bad.csv")
    assert not pv.ok and pv.changes == []
    where = {(p.row, p.column) for p in pv.errors}
    assert {(3, "年月"), (4, "指標ID"), (5, "実績値")} <= where
    assert any(str(p).startswith("3行目 年月: 2025-13 は年月として読めません") for p in pv.errors)
    assert importer.problem_table(pv.errors)[0].keys() == {"行", "列", "内容"}
    with pytest.raises(ValueError, match="登録できません"):
        importer.commit(store, pv, "x")
    assert store.is_empty()


def test_size_limit_from_environment(store, policy, monkeypatch):
    monkeypatch.delenv("KPI_MAX_UPLOAD_MB", raising=False)
    assert importer.max_upload_mb() == 50 and importer.max_upload_bytes() == 50 * 1024 * 1024
    monkeypatch.setenv("KPI_MAX_UPLOAD_MB", "1")
    assert importer.max_upload_bytes() == 1024 * 1024
    big = canonical(*(["K1-1,2025-04,1,,,"] * 80_000))
    assert len(big) > 1024 * 1024
    pv = importer.preview(store, policy, big, "big.csv")
    assert not pv.ok and any(p.row is None for p in pv.errors)
    for bad in ("", "abc", "0", "-5"):
        monkeypatch.setenv("KPI_MAX_UPLOAD_MB", bad)
        assert importer.max_upload_mb() == 50


def test_progress_lines_for_the_page(store, policy):
    said: list[str] = []
    importer.preview(store, policy, canonical("K1-1,2025-04,1,,,", "K1-1,2025-05,2,,,"), "a.csv", progress=said.append)
    assert said[0].startswith("ファイルを読み込んでいます")
    assert "2行を読み取りました" in said[1] and "新規 2行" in said[2]


def test_commit_cleans_only_stale_staging(store, policy):
    store.ensure()
    (store.staging / "crashed").mkdir()
    importer.commit(store, importer.preview(store, policy, canonical("K1-1,2025-04,1,,,"), "a.csv"), "x")
    assert (store.staging / "crashed").exists()  # young: might be another process's write in progress


# --- issue 19, point 9: file names in any encoding --------------------------------------------------

SJIS_NAME = "実績_4月.csv".encode("cp932")


@pytest.mark.parametrize("name", [SJIS_NAME, SJIS_NAME.decode("utf-8", "surrogateescape"),
                                  b"/share/" + SJIS_NAME, "/share/" + SJIS_NAME.decode("utf-8", "surrogateescape")])
def test_a_shift_jis_file_name_is_decoded_and_its_bytes_kept(store, policy, name):
    """A name copied from a Windows share (Shift_JIS bytes; Python's surrogates on the command line) used to fail the
    commit with an internal error (meta.json could not be written)."""
    pv = importer.preview(store, policy, canonical("K1-1,2025-04,1,,,"), name)
    assert pv.ok and pv.file_name == "実績_4月.csv" and pv.file_name_bytes == SJIS_NAME
    bid = importer.commit(store, pv, "u")
    assert store.batch(bid).file_name == "実績_4月.csv"
    assert [b.file_name for b in store.batches()] == ["実績_4月.csv"]
    meta = json.loads((store.root / "batches" / bid / "meta.json").read_text(encoding="utf-8"))
    assert bytes.fromhex(meta["file_name_bytes"]) == SJIS_NAME and meta["file_name"] == "実績_4月.csv"


def test_a_name_in_no_known_encoding_is_shown_with_replacement_characters(store, policy):
    raw = b"\xff\xfe\x80data.csv"
    pv = importer.preview(store, policy, canonical("K1-1,2025-04,1,,,"), raw)
    assert pv.file_name == "\ufffd\ufffd\ufffddata.csv" and pv.file_name_bytes == raw
    bid = importer.commit(store, pv, "u")
    assert store.batch(bid).file_name == pv.file_name


def test_a_utf8_name_records_no_extra_bytes(store, policy):
    pv = importer.preview(store, policy, canonical("K1-1,2025-04,1,,,"), "/home/u/実績.csv")
    assert pv.file_name == "実績.csv" and pv.file_name_bytes is None
    bid = importer.commit(store, pv, "u")
    assert "file_name_bytes" not in json.loads((store.root / "batches" / bid / "meta.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name,text,raw", [
    ("実績.csv", "実績.csv", None),
    (b"\x8e\xc0\x90\xd1.csv", "実績.csv", b"\x8e\xc0\x90\xd1.csv"),
    ("\udc8e\udcc0\udc90\udcd1.csv", "実績.csv", b"\x8e\xc0\x90\xd1.csv"),  # os.fsdecode of the Shift_JIS bytes
    ("a\ud800.csv", "a\ufffd\ufffd\ufffd.csv", "a\ud800.csv".encode("utf-8", "surrogatepass")),  # a lone surrogate from elsewhere
    (b"\xe5\xae\x9f.csv", "実.csv", None),
])
def test_file_name_text(name, text, raw):
    assert importer.file_name_text(name) == (text, raw)
