"""Equations in a real browser: a local MathJax draws the tags given at build time.

MathJax 4 comes from ``node_modules/mathjax`` (with its font package). MathJax 3
is looked for in ``node_modules/mathjax3`` (``npm install mathjax3@npm:mathjax@3``)
or at ``$MATHJAX3_PATH``; without it that test skips locally and fails under CI.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import IN_CI, NODE_MODULES

pytestmark = pytest.mark.browser

THEME_HEAD = (
    '{% extends "!theme/base.html" %}{% block head %}{{ super() }}'
    '{% include "sujianlin/mathjax.html" %}{% endblock %}'
)

FILLER = "\n\n".join(f"第{i}段普通的文字，用来把页面撑长。" for i in range(40))

FIRST = f"""Title: 第一篇
Date: 2024-01-02
Slug: first

先看式$\\eqref{{eq:last}}$与第二行\\eqref{{eq:row2}}。
$$
L = \\sum_i x_i^2 \\label{{eq:loss}}
$$
\\begin{{align}}
a_1 &= \\mathbb{{R}} \\\\
c_1 &= \\mathcal{{D}} \\label{{eq:row2}} \\\\
e_1 &= f_1 \\notag
\\end{{align}}

{FILLER}

\\begin{{gather}}
x = \\begin{{cases}} 1, & a<b \\\\ 0, & \\text{{其他}} \\end{{cases}} \\\\
y = \\frac{{1}}{{2}} \\label{{eq:last}}
\\end{{gather}}
"""

SECOND = """Title: 第二篇
Date: 2024-01-03
Slug: second

同名标签：
$$
L = 1 \\label{eq:loss}
$$
\\begin{equation}
M = 2 \\label{eq:last}
\\end{equation}
见式$\\eqref{eq:loss}$与第一篇的\\eqref{first/eq:loss}。
"""

ENVIRONMENTS = r"""Title: 环境
Date: 2024-01-04
Slug: envs

\begin{eqnarray}
a &=& b \\
c &=& d \nonumber \\
e &=& f
\end{eqnarray}
\begin{multline}
a + b \\
+ c
\end{multline}
\begin{flalign}
a &= b & c &= d \\
e &= f & g &= h
\end{flalign}
\begin{alignat}{2}
a &= b &\quad c &= d \label{eq:al}\\
e &= f &\quad g &= h
\end{alignat}
$$\begin{aligned} x &= 1 \\ y &= 2 \end{aligned} \label{eq:ald}$$
\[ z \tag{A} \label{eq:A} \]
\begin{equation*} w \label{eq:ws} \end{equation*}
\begin{gather*} p \\ q \label{eq:q} \end{gather*}
见\eqref{eq:al}、\eqref{eq:ald}、\eqref{eq:A}、\eqref{eq:ws}、\eqref{eq:q}。
"""

# Each drawn tag, read from MathJax's own math list (CHTML draws digits as CSS
# glyph classes, and MathJax 4 has no assistive MathML by default).
DRAWN_TAGS = """() => Array.from(MathJax.startup.document.math).flatMap(item => {
  const mml = MathJax.startup.toMML(item.root);
  const xml = new DOMParser().parseFromString(mml, 'text/xml');
  return Array.from(xml.getElementsByTagName('mlabeledtr'))
    .map(row => row.firstElementChild.textContent.replace(/\\s+/g, ''));
})"""


@pytest.fixture
def site(build_site, tmp_path: Path):
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "base.html").write_text(THEME_HEAD, encoding="utf-8")
    return build_site(
        {"first.md": FIRST, "second.md": SECOND, "envs.md": ENVIRONMENTS},
        SITEURL="",
        PLUGINS=["pelican_sujianlin.equations"],
        THEME_TEMPLATES_OVERRIDES=[str(overrides)],
        DEFAULT_PAGINATION=False,
        MATHJAX_URL="/node_modules/mathjax/tex-mml-chtml.js",
    )


def mathjax3_folder() -> Path:
    folder = Path(os.environ.get("MATHJAX3_PATH", NODE_MODULES / "mathjax3"))
    if not (folder / "es5" / "tex-mml-chtml.js").is_file():
        message = f"MathJax 3 at {folder} (npm install mathjax3@npm:mathjax@3)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return folder


def typeset(page, url: str) -> None:
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and "favicon" not in response.url
            and failed.append(f"{response.status} {response.url}")
        ),
    )
    page.goto(url)
    page.wait_for_function("() => window.MathJax?.startup?.promise !== undefined")
    page.evaluate("() => MathJax.startup.promise")
    assert failed == []
    assert page.errors == []
    assert page.locator("mjx-merror").count() == 0
    assert page.locator("mjx-container").count() > 0


def test_article_tags_drawn_in_order_and_links_scroll(site, serve, page):
    with serve(site.output, {"/node_modules": NODE_MODULES}) as base:
        typeset(page, f"{base}/first.html")
        assert page.evaluate(DRAWN_TAGS) == ["(1)", "(2)", "(3)", "(4)", "(5)"]
        assert "multiply defined" not in page.inner_text("body")
        page.set_viewport_size({"width": 900, "height": 500})
        page.evaluate("() => window.scrollTo(0, 0)")
        page.click('a.eqref[href="#eq-first-5"]')
        page.wait_for_function("() => location.hash === '#eq-first-5'")
        top = page.evaluate(
            "() => document.getElementById('eq-first-5').getBoundingClientRect().top"
        )
        assert page.evaluate("() => window.scrollY") > 300
        assert -2 <= top < 500
        page.evaluate("() => window.scrollTo(0, 0)")
        page.click('a.eqref[href="#eq-first-3"]')  # the second numbered row
        page.wait_for_function("() => location.hash === '#eq-first-3'")
        row_top = page.evaluate(
            "() => document.getElementById('eq-first-3').getBoundingClientRect().top"
        )
        assert -2 <= row_top < 500


ENVIRONMENT_TAGS = [f"({n})" for n in range(1, 9)] + ["(A)", "(9)", "(10)"]


def test_every_environment_draws_its_tags(site, serve, page):
    with serve(site.output, {"/node_modules": NODE_MODULES}) as base:
        typeset(page, f"{base}/envs.html")
        assert page.evaluate(DRAWN_TAGS) == ENVIRONMENT_TAGS


def test_index_page_numbers_each_post_from_one(site, serve, page):
    index = site.read("index.html")
    ids = re.findall(r'id="(eq-[^"]+)"', index)
    assert len(ids) == len(set(ids))
    with serve(site.output, {"/node_modules": NODE_MODULES}) as base:
        typeset(page, f"{base}/index.html")
        tags = page.evaluate(DRAWN_TAGS)
        assert tags[:11] == ENVIRONMENT_TAGS  # newest first
        assert tags[11:13] == ["(1)", "(2)"]  # the second post
        assert tags[13:] == ["(1)", "(2)", "(3)", "(4)", "(5)"][: len(tags) - 13]
        assert "multiply defined" not in page.inner_text("body")
        assert "???" not in page.inner_text("body")


def test_mathjax3_draws_the_same_tags(build_site, tmp_path, serve, page):
    folder = mathjax3_folder()
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "base.html").write_text(THEME_HEAD, encoding="utf-8")
    site = build_site(
        {"first.md": FIRST, "second.md": SECOND, "envs.md": ENVIRONMENTS},
        SITEURL="",
        PLUGINS=["pelican_sujianlin.equations"],
        THEME_TEMPLATES_OVERRIDES=[str(overrides)],
        DEFAULT_PAGINATION=False,
        MATHJAX_URL="/mathjax3/es5/tex-mml-chtml.js",
    )
    with serve(site.output, {"/mathjax3": folder}) as base:
        typeset(page, f"{base}/first.html")
        assert page.evaluate(DRAWN_TAGS) == ["(1)", "(2)", "(3)", "(4)", "(5)"]
        assert "multiply defined" not in page.inner_text("body")
        typeset(page, f"{base}/envs.html")
        assert page.evaluate(DRAWN_TAGS) == ENVIRONMENT_TAGS
