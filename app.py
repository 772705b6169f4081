"""Entry point: page config, the shared sidebar filters and navigation over the pages."""
from __future__ import annotations

import streamlit as st

import ui
from kpi.policy import PolicyError, data_dir
from kpi.store import StoreUnavailable, store_dir
from ui import auth as ui_auth
from ui.turns import TURNS

# An emoji icon: the browser draws it from a data: URL. A Material icon (here or a page's, which is used when
# none is set here) becomes a favicon fetched from fonts.gstatic.com, which a city network without internet
# access blocks, and which would tell Google who opens the dashboard.
st.set_page_config(page_title="運営方針 KPI ダッシュボード", page_icon="📊", layout="wide")


def main() -> None:
    """The shared part of every page, then the page itself."""
    try:
        if not ui.catalog().departments:
            st.error(f"参照データのフォルダ（{ui.escape(str(data_dir()))}）に運営方針がありません。policy.csv のあるフォルダか、"
                     "<所属>/<年度>/ のフォルダを置いたフォルダを KPI_DATA_DIR に指定してください。")
            st.stop()
        ui.bootstrap(str(data_dir()), str(store_dir()))
        pages = ui.pages(ui.catalog())
        # Routes by the address; the list of pages is the app's own (ui.page_list): the framework's cost every page 0.05 s.
        page = st.navigation(list(pages.values()), position="hidden")
        ui.page_list(pages, page)
        ui_auth.return_after_sign_in({p.url_path: p for p in pages.values()}, page.url_path)
        # 市全体 chooses its own view; the filters' choices are plain state (ui.held_widget) and wait for the next page
        if next(path for path, p in pages.items() if p.url_path == page.url_path) not in ui.OWN_VIEW:
            st.session_state["_filters"] = ui.sidebar()
        ui_auth.account_box(page.url_path)  # サインイン / サインアウト on every page, once sign-in is configured
    except PolicyError as exc:
        st.error("参照データ（運営方針の CSV）に問題があるため表示できません。`python -m kpi check-data` で場所と内容を確認できます。")
        st.code(str(exc), language=None)
        st.stop()
    except StoreUnavailable as exc:  # the city's database does not answer: say so, not a traceback
        st.error(str(exc))
        st.stop()

    ui.accessibility()
    ui.arrived(page.url_path)
    try:
        page.run()
    except ui.PageDone:  # the page ended early (ui.stop): the link below still follows
        pass
    except StoreUnavailable as exc:
        st.error(str(exc))
    # After the page, so that its own choices (?indicator=…) are in the link.
    ui.copy_link()


# One page run at a time in this server process, the others in line (ui/turns.py says why).
with TURNS.turn():
    main()
