"""会議資料: the PowerPoint deck, the Excel workbook, the PDF, chart images and CSV for a meeting."""
import datetime as dt

import streamlit as st

import ui
from kpi import export, fiscal, provenance
from kpi.export import images
from kpi.export.content import as_of_for
from kpi.service import SAMPLE_LABEL
from kpi.store import JST, StoreError
from ui import auth as ui_auth
from ui import export as ui_export
from ui.turns import TURNS

p, f = ui.policy(), ui.filters()
ui.heading("会議資料", p, f)
st.markdown("会議に持っていく資料をまとめて作ります。年度・経営課題・含める内容を選び、「資料を作成」を押してください。"
            "作成した資料はこの下からダウンロードできます（サイドバーで選んだ年度・経営課題が初期値です）。")

years = ui.department(f).fiscal_years()
fy_default = f.fy if f.fy in years else years[-1]
left, right = st.columns(2)
with left:
    fy = st.selectbox("年度", years, index=years.index(fy_default), key=f"mat_fy_{f.fy}",
                      format_func=lambda y: fiscal.fy_label(y, western=True))
    p = ui.load(str(ui.department(f).folder_for(fy)))  # the policy of the chosen year (its 経営課題 may differ)
    issues = st.multiselect("経営課題（未選択ならすべて）", list(p.issues), default=[i for i in f.issues if i in p.issues],
                            key=f"mat_issue_{'-'.join(f.issues)}",
                            format_func=lambda i: f"{p.issues[i].label} {p.issues[i].short_title}", placeholder="すべての経営課題")
    as_of = as_of_for(fy, f.fy, f.as_of)
    st.caption(f"基準月: {fiscal.month_label(as_of)}末（サイドバーの基準月。別の年度は年度末または終わった最後の月）")
with right:
    st.markdown("**含める内容**")
    sections = [k for k, label in export.SECTIONS.items()
                if st.checkbox(label, value=k in export.DEFAULT_SECTIONS, key=f"mat_section_{k}")]

browser = images.available()
if browser:
    ui_export.start_browser()
else:
    st.warning(images.NO_BROWSER, icon=":material/warning:")
st.markdown("**作成するファイル**")
DEFAULT_FORMATS = ("pptx", "xlsx", "pdf", "csv", "csv_cp932")
cols = st.columns(2)
chosen = []
for i, (key, fmt_) in enumerate(export.FORMATS.items()):
    usable = browser or not fmt_.needs_browser
    with cols[i % 2]:
        if st.checkbox(fmt_.label, value=key in DEFAULT_FORMATS and usable, key=f"mat_format_{key}", disabled=not usable,
                       help=fmt_.help or None):
            chosen.append(key)

order = {iid: n for n, iid in enumerate(p.issues)}
scope = export.Scope(fy, tuple(sorted(issues, key=order.get)), as_of, tuple(sections))
store = ui.store()
# What a past meeting saw: the append-only store as it was known at a date and time (issue 20, point 6).
if st.checkbox("この時点の記録で表示", key="mat_known", help="その日時までに登録・記録されたものだけで資料を作ります"
               "（後から登録した実績、取り消し、上書き、前年度実績、振り返りは含めません）"):
    now = dt.datetime.now(JST)
    day_col, time_col = st.columns(2)
    day = day_col.date_input("日付", value=now.date(), key="mat_known_day", format="YYYY/MM/DD")
    at = time_col.time_input("時刻", value=dt.time(now.hour, now.minute), key="mat_known_time", step=60)
    store = store.as_known_at(dt.datetime.combine(day, at, tzinfo=JST))
    st.caption(f"{store.label}の記録で作ります。")
params = (str(store.root), store.version(), str(p.data_dir), scope)

st.button("資料を作成", type="primary", icon=":material/slideshow:", key="mat_make", disabled=not chosen,
          on_click=lambda: st.session_state.update(mat_requested=True))
if st.session_state.pop("mat_requested", False) and chosen:
    files = {}
    made = ui_export.made_files()
    with TURNS.aside(), st.status("資料を作成しています…", expanded=True) as status:
        bar = st.progress(0.0, text="実績を集計しています")
        try:
            m = export.gather(store, p, scope)
        except Exception as exc:  # never a traceback with the server's paths: a Japanese message and a log reference
            m, chosen = None, []
            st.error(f"資料の材料を集められませんでした。管理者に連絡してください（ログ参照: {store.log_exception('export-gather', exc)}）",
                     icon=":material/error:")
        for n, key in enumerate(chosen):
            fmt_ = export.FORMATS[key]
            name = export.file_name(m, fmt_)

            def step(frac: float, text: str, n=n, label=fmt_.label) -> None:
                bar.progress(min(1.0, (n + frac) / len(chosen)), text=f"{label}: {text}")

            step(0.0, "作成しています")
            data = made.get((params, key))
            if data is None:
                try:
                    data = export.build(m, key, step)
                except export.ExportUnavailable as exc:
                    st.warning(f"{fmt_.label}: {ui.escape(exc)}")
                    continue
                except Exception as exc:  # one file fails, the others are still made; the page shows no traceback
                    st.error(f"{fmt_.label}を作成できませんでした。管理者に連絡してください"
                             f"（ログ参照: {store.log_exception('export-' + key, exc)}）", icon=":material/error:")
                    continue
                made.put((params, key), data)
            files[key] = (name, fmt_.mime, data)
            try:  # 履歴 lists every file made, with what it was made from
                provenance.record_material(store, name, key, ui_auth.current_user(), m.provenance, dept=ui.department(f).dept_id)
            except (OSError, StoreError) as exc:
                store.log_exception("materials-record", exc)
            st.text(f"✓ {fmt_.label}（{name}）")
        bar.progress(1.0, text="完了")
        status.update(label=f"{len(files)}件の資料を作成しました", state="complete" if files else "error", expanded=False)
    st.session_state["mat_files"] = (params, files, bool(m and m.note.sample))

result = st.session_state.get("mat_files")
if result and result[0] == params and result[1]:
    st.subheader("ダウンロード")
    if result[2]:
        st.warning(f"実績は **{SAMPLE_LABEL}** です。資料にもその旨を記載しています。", icon=":material/warning:")
    for key, (name, mime, data) in result[1].items():
        st.download_button(ui.escape(f"{export.FORMATS[key].label}　{name}"), data, file_name=name, mime=mime, key=f"mat_dl_{key}",
                           on_click="ignore", icon=":material/download:")
elif result and result[1]:
    st.info("条件が変わりました。もう一度「資料を作成」を押してください。")

with st.expander("資料の中身について"):
    st.markdown(
        "- **PowerPoint**: 16:9。表紙、遅れ・注意の指標（悪い順。前回の報告からの変化と最新の振り返り＝要因・対策）、全体の状況、"
        "予算の推移、指標の達成状況（指標の少ない経営課題はまとめて1枚）、「年度評価」を含めると年度評価（A/B、上書きは※と理由の注記）と"
        "自己評価・今後の方針（記入がある場合。長い文章は複数のスライドに分けます）、「月次推移」を含めると1枚に4指標ずつ。"
        "文字は編集でき、グラフは画像です。各スライドの下に出典と基準月。ファイル名に年度と基準月が入るので、毎月の資料が上書きされません。\n"
        "- **Excel**: 運営方針の様式で、指標ごとに経営課題・アウトカム指標（全文）・目標・年度の実績・達成率・"
        "A/B（年度末のみ）・前年度実績。「年度評価」を含めると、年度評価のシート（算定評価・上書き評価と理由・上書き者・日時・"
        "最終評価。上書きした行は色付き）と自己評価・今後の方針のシート。続いて月次実績、予算。A4横で印刷できます。\n"
        "- **PDF**: PowerPoint と同じ構成の印刷用（A4横）。\n"
        "- **CSV**: UTF-8（BOM付き）と、古い Excel 向けの Shift_JIS（CP932）。\n"
        "- 実績がサンプル（架空）の場合は、すべての資料にその旨を記載します。"
        "「=」「+」「-」「@」で始まる文字は数式にならないよう文字列として書き出します。"
    )
