"""The example theme in a real browser: a display equation wider than the
column scrolls inside its own box, its number reachable, the page never wider
than the window (as kexue.fm shows wide equations), with MathJax 3 and 4."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLE_SITE, NODE_MODULES
from test_equations_browser import mathjax3_folder

pytestmark = pytest.mark.browser

WIDE = r"""Title: 宽公式
Date: 2024-01-01
Slug: wide

一段文字。

\begin{equation}
\mathcal{L}(\theta) = \mathbb{E}_{x_0\sim p(x_0),\,\varepsilon\sim\mathcal{N}(0,I),
\,t\sim U(1,T)}\left[\left\Vert \varepsilon - \epsilon_\theta\left(\sqrt{\bar\alpha_t}
\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon,\; t\right)\right\Vert^2 + \lambda
\sum_{k=1}^{K} \log\frac{p_k(x)}{q_k(x)}\right] \label{eq:wide}
\end{equation}

窄的：
\begin{equation}
a = b \label{eq:narrow}
\end{equation}
见$\eqref{eq:wide}$。
"""

# For each display equation: scrolled to its end, where its box and its tag
# lie, relative to the post's column; and how wide the page is.
MEASURE = """async () => {
  const column = document.querySelector(".post-content").getBoundingClientRect();
  const shown = [];
  for (const box of document.querySelectorAll('mjx-container[display="true"]')) {
    box.scrollLeft = box.scrollWidth;
    await new Promise((done) => requestAnimationFrame(done));
    const edges = (rect) => [rect.left - column.left, rect.right - column.left];
    const tag = box.querySelector('[id^="mjx-eqn"]').getBoundingClientRect();
    shown.push({
      box: edges(box.getBoundingClientRect()),
      tag: edges(tag),
      width: box.scrollWidth,
      scrolls: box.scrollWidth > box.clientWidth,
    });
  }
  return {
    column: column.width,
    shown,
    pageWidth: document.documentElement.scrollWidth,
    window: innerWidth,
  };
}"""


def mathjax_builds() -> dict[str, tuple[str, Path]]:
    return {
        "mathjax4": ("/node_modules/mathjax/tex-mml-chtml.js", NODE_MODULES),
        "mathjax3": ("/node_modules/es5/tex-mml-chtml.js", mathjax3_folder()),
    }


@pytest.mark.parametrize("version", ["mathjax4", "mathjax3"])
def test_wide_equation_scrolls_with_its_number_reachable(
    build_site, serve, browser, version
):
    url, folder = mathjax_builds()[version]
    site = build_site(
        {"wide.md": WIDE},
        THEME=str(EXAMPLE_SITE / "theme"),
        SITEURL="",
        RELATIVE_URLS=True,
        MATHJAX_URL=url,
        CITATION_SITEURL="https://example.org",
    )
    with serve(site.output, {"/node_modules": folder}) as base:
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/wide.html")
            page.wait_for_function("window.MathJax?.startup?.promise")
            page.evaluate("MathJax.startup.promise")
            seen = page.evaluate(MEASURE)
            context.close()
            wide, narrow = seen["shown"]
            column = seen["column"]
            assert seen["pageWidth"] <= seen["window"], (width, seen)
            assert wide["width"] > column + 100  # the case: wider than its column
            assert wide["scrolls"], seen
            # the box stays in the column, and scrolled to its end it shows the
            # tag whole
            assert wide["box"][0] >= -1, seen
            assert wide["box"][1] <= column + 1, seen
            assert 0 <= wide["tag"][0] < wide["tag"][1] <= column + 1, seen
            assert not narrow["scrolls"]
            assert narrow["tag"][1] <= column + 1
