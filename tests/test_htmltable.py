"""kpi.htmltable: every text is shown as text (names come from data files and users), links only where the
caller built them, the first column heads its row, numeric columns right-aligned."""
from __future__ import annotations

import html
import re

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


@pytest.mark.parametrize("markdown, html", [
    ("**見出し**\n\n- 一つ目\n- 二つ目", "<p><strong>見出し</strong></p><ul><li>一つ目</li><li>二つ目</li></ul>"),
    ("- 上\n  - 下1\n  - 下2\n- 次", "<ul><li>上<ul><li>下1</li><li>下2</li></ul></li><li>次</li></ul>"),
    ("- 順に\n  1. 甲\n  2. 乙\n  続きの文\n- 次", "<ul><li>順に<ol><li>甲</li><li>乙</li></ol>続きの文</li><li>次</li></ul>"),
    ("- 一行目、\n  二行目", "<ul><li>一行目、二行目</li></ul>"),  # one sentence over two lines: no break, no space
    ("- a\n\n- b", "<ul><li>a</li></ul><ul><li>b</li></ul>"),
    ("- 一つ\n1. 番号", "<ul><li>一つ</li></ul><ol><li>番号</li></ol>"),
    ("- <b>x</b> & [リンク](http://example.jp) *斜体*", "<ul><li>&lt;b&gt;x&lt;/b&gt; &amp; [リンク](http://example.jp) *斜体*</li></ul>"),
])
def test_the_apps_own_markdown_lists_become_html(markdown, html):
    from kpi.htmltable import markdown_list_html

    assert markdown_list_html(markdown) == html


def test_the_status_rules_keep_every_line_as_html():
    import html as html_module
    import re

    from kpi.evaluate import STATUS_RULES
    from kpi.htmltable import markdown_list_html

    out = markdown_list_html(STATUS_RULES)
    shown = html_module.unescape(re.sub(r"<[^>]+>", "\n", out))
    for line in STATUS_RULES.splitlines():
        words = re.sub(r"^\s*(?:-|\d+\.) ", "", line).strip()
        assert all(part.strip() in shown for part in words.split("**")), line  # bold or not, every word is there
    assert out.count("<ul>") == out.count("</ul>") and out.count("<ol>") == out.count("</ol>") == 1
    assert out.count("<li>") == out.count("</li>")


def test_details_caption_and_paragraphs_are_text():
    from kpi.htmltable import caption_html, details_html, paragraphs_html

    out = details_html("<img src=x onerror=alert(1)>の一覧", paragraphs_html([[("太字<b>", True), ("\n二行目 & 三", False)]]))
    assert '<details class="kpi-more"><summary>&lt;img src=x onerror=alert(1)&gt;の一覧</summary>' in out
    assert "<p><strong>太字&lt;b&gt;</strong><br>二行目 &amp; 三</p>" in out and " open" not in out
    assert caption_html("出典: <a>\n基準").endswith('<p class="kpi-caption">出典: &lt;a&gt;<br>基準</p>')


@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>", "**太字** :red[赤]", 'A&B" onclick="x'])
def test_cards_escape_every_text_and_mark_the_apps_own_links(name):
    from kpi.htmltable import Badge, Card, cards_html

    out = cards_html([Card(f"K1-1 {name}", [[("× 遅れ", True), (f"　K1-1 {name}", False), Badge(f"新たに{name}", "orange")],
                                            [Badge("9月分未報告（最終報告 7月）", "red")], [(f"要因: {name}\n対策: 次へ", False)]],
                          Link("K1-1 の詳細・振り返り", "indicators?fy=2025&indicator=K1-1", in_app=True))])
    body = out.split("</style>")[1]
    assert "<img" not in body and 'onclick="' not in body and f"　K1-1 {html.escape(name)}" in body
    assert body.startswith('<div class="kpi-cards"><article class="kpi-card" aria-label="K1-1 ')
    assert '<p><strong>× 遅れ</strong>　K1-1 ' in body and '<span class="kpi-badge kpi-badge-orange">新たに' in body
    assert '<p><span class="kpi-badge kpi-badge-red">9月分未報告（最終報告 7月）</span></p>' in body
    assert "<br>対策: 次へ</p>" in body  # a person's line break kept as a line
    assert '<p><a href="indicators?fy=2025&amp;indicator=K1-1" data-kpi-page>K1-1 の詳細・振り返り</a></p></article></div>' in body
    assert cards_html([]) == ""


@pytest.mark.parametrize("text", ["遅れ・注意から（悪い順）", "<img src=x onerror=alert(1)>", 'A&B" onclick="x'])
def test_a_choice_of_view_is_links_with_the_one_shown_marked(text):
    """choices_html: the one shown is marked (aria-current) and is no link; the others are in-app links with their
    names for assets/links.js. Texts and addresses are escaped."""
    from kpi.htmltable import Choice, choices_html

    out = choices_html("並べ方", [Choice("経営課題の順", None, "order:issue"), Choice(text, "?fy=2025&order=worst", "order:worst")])
    assert '<nav class="kpi-choices" aria-label="並べ方">' in out and out.startswith("<style>")
    assert '<li><span aria-current="true" tabindex="-1" data-kpi-choice="order:issue">経営課題の順</span></li>' in out
    assert (f'<li><a href="?fy=2025&amp;order=worst" data-kpi-page data-kpi-choice="order:worst">{html.escape(text)}</a></li>'
            in out)
    assert out.count("<a ") == 1 and "<img" not in out and 'onclick="' not in out
    assert not choices_html("表示", [Choice("達成率の棒", None)], style=False).startswith("<style>")


@pytest.mark.parametrize("link, attrs", [
    (Link("K1-1", "indicators?indicator=K1-1"), ""),
    (Link("K1-1", "indicators?indicator=K1-1", in_app=True), " data-kpi-page"),
    (Link("K1-1", "indicators?indicator=K1-1", in_app=True, show="indicator_detail"), ' data-kpi-page data-kpi-show="indicator_detail"'),
    (Link("K1-1", "indicators?indicator=K1-1", in_app=True, show="indicator_detail", current=True),
     ' data-kpi-page data-kpi-show="indicator_detail" aria-current="true"'),
    (Link("K1-1", "./?dept=a", new_tab=True), ' target="_blank" rel="noopener"'),
])
def test_a_link_says_how_the_app_follows_it(link, attrs):
    """In-app links are followed by assets/links.js; ``show`` names the container it brings into view once drawn."""
    from kpi.htmltable import cell_html

    assert cell_html(link) == f'<a href="{html.escape(link.href)}"{attrs}>K1-1</a>'


@pytest.mark.parametrize("current, marked", [(0, "概要"), (1, "指標"), (None, None)])
def test_the_list_of_pages_is_in_app_links_with_the_shown_page_marked(current, marked):
    """pages_html: every page an in-app link (assets/links.js) with its icon's ligature hidden from screen readers,
    the shown page marked aria-current="page", and nothing else; texts escaped."""
    from kpi.htmltable import PageLink, pages_html

    pages = [("概要", ":material/dashboard:", "./"), ("指標", ":material/monitoring:", "indicators"), ("A&B<i>", ":material/x:", "p")]
    out = pages_html("ページ", [PageLink(t, i, h, n == current) for n, (t, i, h) in enumerate(pages)])
    assert out.startswith("<style>") and '<nav class="kpi-pages" aria-label="ページ"><ul>' in out
    assert '<li><a href="indicators" data-kpi-page' in out and '<li><a href="./" data-kpi-page' in out
    assert '<span class="kpi-icon" aria-hidden="true">monitoring</span><span>指標</span>' in out
    assert "<span>A&amp;B&lt;i&gt;</span>" in out and "<i>" not in out
    assert re.findall(r'aria-current="page"><span class="kpi-icon" aria-hidden="true">[^<]*</span><span>([^<]*)</span>', out) == ([marked] if marked else [])
