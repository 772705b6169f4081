"""tools/preload.py: the scripts the deploy site names in the page's HTML, read from Streamlit's build manifest; the
site's line matches the installed Streamlit (after an upgrade this fails until `python tools/preload.py --write`)."""
from __future__ import annotations

import json

import pytest

from tools import cluster, preload

INDEX = '<script type="module" src="./static/js/index.A.js"></script>\n<link rel="modulepreload" href="./static/js/shared.B.js">'
MANIFEST = {
    "index.html": {"file": "static/js/index.A.js", "isEntry": True, "imports": ["_shared.B.js"]},
    "_shared.B.js": {"file": "static/js/shared.B.js"},
    "src/Selectbox.tsx": {"file": "static/js/Selectbox.C.js", "name": "Selectbox", "isDynamicEntry": True,
                          "imports": ["_shared.B.js", "_input.D.js"]},
    "_input.D.js": {"file": "static/js/input.D.js", "imports": ["_deep.E.js", "index.html"]},
    "_deep.E.js": {"file": "static/js/deep.E.js"},
    "src/Html.tsx": {"file": "static/js/Html.F.js", "name": "Html", "isDynamicEntry": True, "imports": ["_purify.G.js"]},
    "_purify.G.js": {"file": "static/js/purify.G.js"},
}


@pytest.fixture
def static(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    (tmp_path / "index.html").write_text(INDEX, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("components, expected", [
    (("Selectbox",), ["static/js/Selectbox.C.js", "static/js/deep.E.js", "static/js/input.D.js"]),  # imports of imports
    (("Html",), ["static/js/Html.F.js", "static/js/purify.G.js"]),
    (("Html", "Selectbox"), ["static/js/Html.F.js", "static/js/Selectbox.C.js", "static/js/deep.E.js", "static/js/input.D.js",
                             "static/js/purify.G.js"]),
    ((), []),
])
def test_scripts_follow_imports_and_leave_out_what_the_html_names(static, components, expected):
    assert preload.scripts(components, static) == expected


def test_an_unknown_component_is_an_error_not_a_gap(static):
    with pytest.raises(KeyError, match="Dataframe"):
        preload.scripts(("Selectbox", "Dataframe"), static)


def test_the_line_puts_every_file_before_the_end_of_head():
    line = preload.directive(["static/js/a.js", "static/js/b.js"])
    assert line == ("sub_filter \"</head>\" '<link rel=\"modulepreload\" crossorigin href=\"./static/js/a.js\">"
                    "<link rel=\"modulepreload\" crossorigin href=\"./static/js/b.js\"></head>';")


def test_rewrite_changes_only_the_marked_line():
    text = f"a\n    {preload.MARK}\n    sub_filter \"</head>\" '<old></head>';\n    sub_filter_once on;\n"
    out = preload.rewrite(text, "sub_filter \"</head>\" '<new></head>';")
    assert out == f"a\n    {preload.MARK}\n    sub_filter \"</head>\" '<new></head>';\n    sub_filter_once on;\n"
    with pytest.raises(ValueError):
        preload.rewrite("no mark here\n", "x")
    assert preload.without(text) == "a\n    sub_filter_once on;\n"


def test_the_benchmarks_site_without_the_line_differs_only_there():
    with_line, bare = cluster.site_config([18501], 18080), cluster.site_config([18501], 18080, preload=False)
    assert "modulepreload" in with_line and "modulepreload" not in bare.replace(preload.MARK, "")
    assert preload.without(with_line) == bare


def test_the_site_names_the_installed_streamlits_scripts():
    """Fails after a Streamlit upgrade until `python tools/preload.py --write`: the old names would fetch nothing
    useful (404s) and the pages would go back to loading their code late."""
    text = cluster.SITE.read_text(encoding="utf-8")
    assert preload.site_line(text) == preload.directive(), "run: python tools/preload.py --write"
    for f in preload.scripts():
        assert (preload.static_folder() / f).is_file()
