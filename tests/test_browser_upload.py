"""Real Chromium against a served dashboard: upload → preview → 登録 → the figures move; refusal; the template round trip."""
from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import openpyxl
import pytest

from conftest import goto, wait_ready
from kpi.store import Store

pytestmark = pytest.mark.browser


def snapshot(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _, filenames in os.walk(root):
        for f in filenames:
            path = os.path.join(dirpath, f)
            out[os.path.relpath(path, root)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return out


# the server fixture serves the store at tmp_path / "store"


def nav(page, name: str) -> None:
    """Switch page in the same session (a rerun) and wait until the new page has drawn."""
    page.get_by_role("navigation", name="ページ").get_by_role("link", name=name, exact=True).click()
    page.locator("h1").filter(has_text=name).first.wait_for(timeout=60000)
    wait_ready(page)


def upload(page, name: str, data: bytes, mime: str = "text/csv") -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    wait_ready(page)
    page.locator('[data-testid="stMetric"]').first.wait_for()


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True))
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def card(page, iid: str) -> str:
    """The indicator's detail on 指標 (the page opens with ?indicator=…)."""
    box = page.locator(".st-key-indicator_detail")
    box.get_by_text(iid, exact=False).first.wait_for(timeout=30000)
    return box.inner_text()


def test_cp932_csv_preview_commit_and_the_indicator_moves(server, page, tmp_path):
    goto(page, f"{server.url}/indicators?indicator=K1-1")
    assert "2,046" in card(page, "K1-1")  # the sample's March figure (a running total)
    nav(page, "実績アップロード")
    upload(page, "3月分.csv", "指標ID,年月,実績値,備考\r\nK1-1,令和8年3月,\"2,468件\",再集計\r\nK4-3,2024/4,５,\r\n".encode("cp932"))
    assert (metric(page, "読み取った行"), metric(page, "新規"), metric(page, "変更"), metric(page, "変更なし")) == ("2行", "1行", "1行", "0行")
    assert Store(tmp_path / "store").batches()[0].file_name == "sample_actuals.csv"  # nothing written yet
    page.locator(".st-key-commit button").first.click()
    wait_ready(page)
    done = page.locator(".st-key-upload_flash").inner_text()
    assert "登録しました" in done and "3月分.csv" in done
    nav(page, "指標")
    text = card(page, "K1-1")
    assert "2,468" in text and "2,046" not in text


def test_bad_file_shows_row_level_errors_and_writes_nothing(server, page, tmp_path):
    goto(page, f"{server.url}/upload")
    store = Store(tmp_path / "store")
    before = snapshot(store.root)
    bad = "指標ID,年月,実績値\nK1-1,2025-04,100\nK1-1,2025-05,100\nK1-1,2025-06,100\nK1-1,2025-13,5\nK9-9,2025-05,1\nK1-2,2025-05,たくさん\n"
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode("cp932")}])
    wait_ready(page)
    err = page.locator('[data-testid="stAlertContentError"]')
    err.wait_for()
    assert "このファイルは登録できません" in err.inner_text()
    text = page.locator(".st-key-upload_errors").inner_text()
    assert "5行目 年月: 2025-13 は年月として読めません" in text
    assert "6行目 指標ID" in text and "7行目 実績値" in text
    assert page.locator(".st-key-commit").count() == 0
    assert snapshot(store.root) == before


def test_template_download_fill_upload_and_see_it_in_history(server, page, tmp_path):
    goto(page, f"{server.url}/upload?issue=1")
    with page.expect_download() as info:
        page.locator(".st-key-template_xlsx button").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "filled.xlsx"
    download.save_as(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["実績"] if "実績" in wb.sheetnames else wb.worksheets[0]
    header = [c.value for c in ws[1]]
    rows = {(ws.cell(row=r, column=1).value, ws.cell(row=r, column=header.index("項目") + 1).value): r for r in range(2, ws.max_row + 1)}
    assert list(rows) == [("K1-1", "実績値"), ("K1-1", "備考"), ("K1-2", "実績値"), ("K1-2", "分子"), ("K1-2", "分母"),
                          ("K1-2", "備考")]  # only 経営課題1, as filtered
    col = header.index("2026年3月") + 1
    ws.cell(row=rows[("K1-1", "実績値")], column=col, value=2222)
    ws.cell(row=rows[("K1-2", "実績値")], column=col, value=31.5)
    buf = io.BytesIO()
    wb.save(buf)

    upload(page, "令和7年度_経営課題1.xlsx", buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert metric(page, "読み取った行") == "2行" and metric(page, "変更") == "2行"
    page.locator(".st-key-commit button").first.click()
    wait_ready(page)
    assert "令和7年度_経営課題1.xlsx" in page.locator(".st-key-upload_flash").inner_text()
    nav(page, "履歴")
    detail = page.locator(".st-key-batch_detail").inner_text()
    assert "令和7年度_経営課題1.xlsx" in detail and "有効" in detail and "2行" in detail
    with page.expect_download() as info:
        page.locator(".st-key-download_original button").first.click()
    assert Path(info.value.path()).read_bytes() == buf.getvalue()
