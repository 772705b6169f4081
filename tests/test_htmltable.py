"""kpi.htmltable: every text is shown as text (names come from data files and users), links only where the
caller built them, the first column heads its row, numeric columns right-aligned."""
from __future__ import annotations

import pytest

from kpi.htmltable import Link, table_html


@pytest.mark.parametrize("text, shown", [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("**太字**", "**太字**"),  # no Markdown: the asterisks stay
    ('[押して](javascript:alert("x"))', "[押して](javascript:alert(&quot;x&quot;))"),
    ("A&B区", "A&amp;B区"),
])
def test_every_cell_is_text(text, shown):
    out = table_html(["所属", "件数"], [[text, 3]], caption=text)
    assert f"<caption>{shown}</caption>" in out
    assert f'<th scope="row">{shown}</th>' in out
    assert "<script>" not in out.split("</style>")[1] and "<a " not in out


def test_links_headers_and_numbers():
    out = table_html(["所属", "遅れ"], [[Link("東住吉区役所", "./?dept=a&fy=2026", new_tab=True), 2], [Link("北区", "./?dept=b"), 0]],
                     caption="2所属", numeric=["遅れ"])
    assert '<a href="./?dept=a&amp;fy=2026" target="_blank" rel="noopener">東住吉区役所</a>' in out
    assert '<a href="./?dept=b">北区</a>' in out
    assert '<th scope="col">所属</th><th scope="col" class="num">遅れ</th>' in out
    assert '<td class="num" data-label="遅れ">2</td>' in out and '<td class="num" data-label="遅れ">0</td>' in out


def test_a_row_with_a_missing_cell_is_refused():
    with pytest.raises(ValueError):
        table_html(["所属", "遅れ"], [["北区"]], caption="")


def test_a_line_break_in_a_text_is_kept_and_nothing_else_becomes_markup():
    out = table_html(["所属", "予算"], [["北区", "R8 予算\n75百万円<b>"]], caption="", nowrap=["所属"], wide=["予算"])
    assert '<td class="wide" data-label="予算">R8 予算<br>75百万円&lt;b&gt;</td>' in out
    assert '<th scope="row" class="nw">北区</th>' in out


def test_section_escapes_every_text_and_keeps_bold_segments():
    from kpi.htmltable import section_html

    out = section_html("経営課題1　<b>安全</b>", [("令和7年度 予算額", "1,153百万円")], "◎達成 1",
                       [[("◎ 達成", True), ("　K1-1 <img src=x onerror=alert(1)>：2,046件", False)]], empty="なし")
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out and "&lt;b&gt;安全&lt;/b&gt;" in out
    assert "<strong>◎ 達成</strong>" in out and "<dt>令和7年度 予算額</dt><dd>1,153百万円</dd>" in out
    assert '<p class="kpi-note">なし</p>' not in out  # there is a paragraph
    assert '<p class="kpi-note">なし</p>' in section_html("見出し", [], "", [], empty="なし")
