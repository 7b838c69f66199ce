"""Build-time typesetting in a real browser.

A page typeset at build time must draw what MathJax 3 draws in Chromium for
the same article: the same tags and the same references (text and link) in
the same formulas. Both are read the same way, from the glyphs of MathJax's
CommonHTML output (each ``mjx-c``'s class names its code point): MathJax 3
from ``node_modules/mathjax3`` (or ``$MATHJAX3_PATH``) in Chromium, the
build-time page from its static HTML (in Python) and as Chromium shows it.
The example site built with ``EQUATIONS_RENDER = "build"`` shows numbered
equations with JavaScript off, drawn by the stylesheet and fonts the build
wrote.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import IN_CI
from test_equations_browser import mathjax3_folder
from test_example_site import build_example
from test_typeset import drawn_tags, drawn_text

from pelican_sujianlin import typeset

pytestmark = pytest.mark.browser

THEME_HEAD = (
    '{% extends "!theme/base.html" %}{% block head %}{{ super() }}'
    '{% include "sujianlin/mathjax.html" %}{% endblock %}'
)

FIRST = r"""Title: 第一篇
Date: 2024-01-02
Slug: first

先看式$\eqref{eq:last}$，第二行\eqref{eq:row2}，和行内$x^2 \le \eqref{eq:loss}$。
$$
L = \sum_i \boldsymbol{x}_i^2 \label{eq:loss}
$$
\begin{align}
a_1 &= \mathbb{R} \\
c_1 &= \operatorname{sgn}(x) + \eqref{eq:loss} \label{eq:row2} \\
e_1 &= f_1 \notag
\end{align}
\begin{gather}
x = \begin{cases} 1, & a<b \\ 0, & \text{其他} \end{cases} \\
y = \frac{1}{2} \label{eq:last}
\end{gather}
$$\begin{aligned} p &= q \\ &= r \end{aligned} \tag{A}$$
"""

SECOND = r"""Title: 第二篇
Date: 2024-01-03
Slug: second

\begin{equation}
M = 2 \label{eq:m}
\end{equation}
\begin{eqnarray}
a &=& b \\
c &=& d \nonumber \\
e &=& f + \eqref{first/eq:loss}
\end{eqnarray}
\begin{multline}
a + b \\
+ c \label{eq:multi}
\end{multline}
\begin{alignat}{2}
a &= b &\quad c &= \eqref{eq:multi} \\
e &= f &\quad g &= h \notag
\end{alignat}
\[ z \tag{B} \label{eq:B} \]
见\eqref{eq:B}与\eqref{first/eq:row2}：$\eqref{eq:m}$。
"""

# Per formula on the page: display or not, tags drawn, references drawn
# inside it (link, text). Glyphs are read from the class of each mjx-c
# ("mjx-c1D465 TEX-I"), text outside MathJax's fonts from mjx-utext.
DRAWN = """() => Array.from(document.querySelectorAll('mjx-container')).map(c => {
  const glyph = g => g.tagName === 'MJX-C'
    ? String.fromCodePoint(parseInt(g.className.match(/mjx-c([0-9A-F]+)/)[1], 16))
    : g.textContent;
  const text = el => Array.from(el.querySelectorAll('mjx-c, mjx-utext'))
    .map(glyph).join('');
  const labels = c.querySelector('mjx-labels');
  const tags = labels ? Array.from(labels.querySelectorAll('mjx-mtd')).map(text) : [];
  const refs = Array.from(c.querySelectorAll('mjx-math a'))
    .map(a => [a.getAttribute('href'), text(a)]);
  return [c.getAttribute('display') === 'true', tags, refs];
})"""


def require_extra() -> None:
    if not typeset.extra_installed():
        message = 'needs pip install "pelican-sujianlin[build-math]"'
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def static_drawn(page_html: str) -> list:
    """:data:`DRAWN`, read in Python from a build-time page's HTML."""
    found = []
    for container in re.findall(r"<mjx-container.*?</mjx-container>", page_html, re.S):
        links = re.findall(r'<a href="([^"]*)">(.*?)</a>', container, re.S)
        found.append(
            [
                'display="true"' in container[:200],
                drawn_tags(container),
                [[href, drawn_text(inner)] for href, inner in links],
            ]
        )
    return found


def build_pair(build_site, tmp_path: Path):
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "base.html").write_text(THEME_HEAD, encoding="utf-8")
    common = {
        "SITEURL": "",
        "PLUGINS": ["pelican_sujianlin.equations"],
        "THEME_TEMPLATES_OVERRIDES": [str(overrides)],
        "DEFAULT_PAGINATION": False,
        # Whole posts on the index: a summary cut by words would be cut from
        # typeset HTML in one build and from TeX in the other.
        "SUMMARY_MAX_LENGTH": None,
        "MATHJAX_URL": "/mathjax3/es5/tex-chtml.js",
    }
    content = {"first.md": FIRST, "second.md": SECOND}
    browser = build_site(content, **common)
    built = build_site(content, EQUATIONS_RENDER="build", **common)
    return browser, built


def test_build_time_pages_draw_what_mathjax_draws_in_chromium(
    build_site, tmp_path, serve, page
):
    require_extra()
    folder = mathjax3_folder()
    browser, built = build_pair(build_site, tmp_path)
    assert not [w for w in built.warnings if w.startswith("typeset:")]
    # One server (two would reuse a port, and Chromium its cached page).
    mounts = {"/mathjax3": folder, "/browser": browser.output}
    with serve(built.output, mounts) as base:
        for name in ("first.html", "second.html", "index.html"):
            built_html = built.read(name)
            assert "<script" not in built_html
            expected = static_drawn(built_html)
            page.goto(f"{base}/browser/{name}")
            page.wait_for_function("() => window.MathJax?.startup?.promise")
            page.evaluate("() => MathJax.startup.promise")
            assert page.errors == []
            in_chromium = page.evaluate(DRAWN)
            page.goto(f"{base}/{name}")
            shown = page.evaluate(DRAWN)
            assert expected == shown
            assert in_chromium == expected
    first = static_drawn(built.read("first.html"))
    assert [tags for _, tags, _ in first if tags] == [
        ["(1)"],
        ["(2)", "(3)"],
        ["(4)", "(5)"],
        ["(A)"],
    ]
    assert first[0][2] == [["#eq-first-1", "(1)"]]  # x^2 \le \eqref{eq:loss}
    assert first[2][2] == [["#eq-first-1", "(1)"]]  # in an align row
    second = static_drawn(built.read("second.html"))
    assert ["/first.html#eq-first-1", "(1)"] in second[1][2]


def test_example_site_built_at_build_time_shows_numbered_equations_without_js(
    example_site_copy, tmp_path, serve, browser
):
    require_extra()
    conf = example_site_copy / "pelicanconf.py"
    conf.write_text(
        conf.read_text(encoding="utf-8") + '\nEQUATIONS_RENDER = "build"\n',
        encoding="utf-8",
    )
    site = build_example(example_site_copy, "pelicanconf.py", tmp_path / "out")
    assert site.warnings == []
    pages = [
        path.relative_to(site.output).as_posix()
        for path in sorted(site.output.rglob("*.html"))
        if "<mjx-labels" in path.read_text(encoding="utf-8")
    ]
    assert pages
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        fonts: list[tuple[str, int]] = []
        page.on(
            "response",
            lambda r: r.url.endswith(".woff") and fonts.append((r.url, r.status)),
        )
        with serve(site.output) as base:
            for name in pages[:3]:
                page.goto(f"{base}/{name}")
                page.wait_for_load_state("networkidle")
                assert (
                    page.locator(
                        "script[src*=athJax], script[id=MathJax-script]"
                    ).count()
                    == 0
                )
                tags = page.locator("mjx-labels mjx-mtd")
                assert tags.count() > 0
                box = tags.first.bounding_box()
                assert box is not None
                assert box["width"] > 5
                assert box["height"] > 5
                formulas = page.locator("mjx-container > mjx-math")
                assert formulas.first.is_visible()
                # the glyphs are drawn by the stylesheet, in MathJax's fonts
                glyph = page.locator("mjx-labels mjx-c").first.bounding_box()
                assert glyph is not None
                assert glyph["width"] > 2
                text = page.inner_text("body")
                assert "\\begin{" not in text
                assert "\\tag{" not in text
            # the stylesheet's fonts, copied into the output, were loaded
            assert fonts
            # (then revalidated by the next pages: 304)
            assert [font for font in fonts if font[1] not in (200, 304)] == []
            assert fonts[0][1] == 200
    finally:
        context.close()
