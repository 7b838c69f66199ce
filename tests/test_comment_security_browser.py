"""Hostile comment math in a real Chromium, with MathJax 4 and MathJax 3.

A site whose comments (files and an Isso database) carry TeX that, drawn by
MathJax as typed, would run script on one click or cover the page. The page
loads, every formula is typeset, each comment formula and link is clicked, and
no script runs, no dialog opens, nothing is fixed over the page. A second check
hands MathJax the hostile TeX directly (no Python in between): the ``safe``
extension that ``sujianlin/mathjax.html`` loads must filter it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import NODE_MODULES
from test_comment_security import theme_with_partials
from test_equations_browser import mathjax3_folder
from test_recent_comments import comment_file, isso_db, post

pytestmark = pytest.mark.browser

ATTACKS = [
    r"$\href{javascript:window.__xss=1}{点我}$",
    r"\(\href{javascript:alert(1)}{\text{也点我}}\)",
    r"$\style{position:fixed;top:0;left:0;width:100vw;height:100vh;"
    r"background:red;z-index:9999}{\text{盖住}}$",
    r"$\bbox[position:fixed;top:0;left:0;width:100vw;height:100vh]{x}$",
    r"$\class{read-more}{x}\cssId{comments}{y}$",
    r"$\def\h{\href}\h{javascript:alert(2)}{z}$",
    r"$$\href{data:text/html,<script>alert(3)</script>}{d}$$",
    r"\begin{equation}\unicode[fantasy;position:fixed]{x41}\end{equation}",
    r"$ \href{javascript:alert(4)}{w}$ 不是公式的美元 $\href{javascript:alert(5)}{v} $",
]
AUTHOR = r"$\href{javascript:alert(6)}{名字}$"

FIRST = post("first", 1, "第一篇") + "\n正文公式 $E=mc^2$。\n"


def hostile_site(build_site, tmp_path: Path, mathjax_url: str):
    comments = {
        f"comments/first/a{number}.md": comment_file(
            AUTHOR, f"2024-02-0{number % 9 + 1} 10:0{number}", f"攻 {attack} 好 $x^2$"
        )
        for number, attack in enumerate(ATTACKS)
    }
    db = isso_db(
        tmp_path / "isso.db",
        {1: "/first.html"},
        [
            (1, 1_710_000_000 + n, 1, f"Isso {attack}", AUTHOR, None, None, "")
            for n, attack in enumerate(ATTACKS)
        ],
    )
    return build_site(
        {"first.md": FIRST, **comments},
        SITEURL="",
        THEME_TEMPLATES_OVERRIDES=[theme_with_partials(tmp_path)],
        MATHJAX_URL=mathjax_url,
        ISSO_DB=str(db),
        RECENT_COMMENTS_COUNT=2 * len(ATTACKS),
        RECENT_COMMENTS_EXCERPT=200,
    )


VERSIONS = {
    "mathjax4": ("/node_modules/mathjax/tex-mml-chtml.js", "/node_modules", None),
    "mathjax3": ("/mathjax3/es5/tex-mml-chtml.js", "/mathjax3", mathjax3_folder),
}

LIVE_LINKS = """() => Array.from(document.querySelectorAll('a[href], [href]'))
  .map(a => a.getAttribute('href'))
  .filter(h => !/^(https?:|#|\\/|[a-z0-9_.-]+\\.html)/i.test(h.trim()))"""

# Fixed or sticky anything; and every heading and comment date, scrolled
# into view, is the element found at its own centre (nothing drawn over it).
COVERING = """() => {
  const found = Array.from(document.querySelectorAll('body *'))
    .filter(e => ['fixed', 'sticky'].includes(getComputedStyle(e).position))
    .map(e => 'fixed: ' + e.outerHTML.slice(0, 200));
  for (const mark of document.querySelectorAll('h1, h2, time')) {
    mark.scrollIntoView({block: 'center'});
    const box = mark.getBoundingClientRect();
    const x = box.x + box.width / 2, y = box.y + box.height / 2;
    const top = document.elementFromPoint(x, y);
    if (top !== mark && !mark.contains(top)) {
      const by = top ? top.outerHTML.slice(0, 200) : null;
      found.push('covered: ' + mark.outerHTML + ' by ' + by);
    }
  }
  return found;
}"""

SAFE_FILTERS = """async () => {
  const out = {};
  for (const [name, tex] of Object.entries({
    href: '\\\\href{javascript:alert(1)}{x}',
    file: '\\\\href{file:///etc/passwd}{x}',
    style: '\\\\style{position:fixed;top:0}{x}',
    cls: '\\\\class{read-more}{x}',
    id: '\\\\cssId{comments}{x}',
  })) {
    const node = await MathJax.tex2chtmlPromise(tex, {display: false});
    const all = [node, ...node.querySelectorAll('*')];
    out[name] = {
      hrefs: all.map(e => e.getAttribute('href')).filter(Boolean),
      styles: all.map(e => e.getAttribute('style') || '').join(';'),
      classes: all.map(e => e.getAttribute('class') || '').join(' ').split(/\\s+/),
      ids: all.map(e => e.id).filter(Boolean),
    };
  }
  return out;
}"""


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_hostile_comment_math_runs_nothing_and_covers_nothing(
    build_site, serve, page, tmp_path, version
):
    url, mount, folder = VERSIONS[version]
    folder = folder() if folder else NODE_MODULES
    site = hostile_site(build_site, tmp_path, url)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with serve(site.output, {mount: folder}) as base:
        page.goto(f"{base}/first.html")
        page.wait_for_function("() => window.MathJax?.startup?.promise !== undefined")
        page.evaluate("() => MathJax.startup.promise")
        # the comments' formulas are typeset, in the thread and the widget
        # the last attack has no formula by the rules (a space after "$")
        assert page.locator("#comments mjx-container").count() == 2 * len(ATTACKS) - 1
        assert page.locator("#recent-comments mjx-container").count() >= len(ATTACKS)
        # only the checked formulas: no author name and no prose is typeset
        assert page.locator(".comment-author mjx-container").count() == 0
        assert page.evaluate(LIVE_LINKS) == []
        assert page.evaluate(COVERING) == []
        formulas = page.locator(
            "#comments mjx-container, #recent-comments mjx-container"
        )
        for index in range(formulas.count()):
            formulas.nth(index).click(timeout=5000, force=True)
            assert page.url == f"{base}/first.html" or page.url.startswith(
                f"{base}/first.html#"
            ), page.url
        authors = page.locator(".comment-author")
        for index in range(min(authors.count(), 5)):
            authors.nth(index).click(timeout=5000, force=True)
        assert page.url.startswith(f"{base}/first.html"), page.url
        assert page.evaluate("() => window.__xss") is None
        assert dialogs == []
        assert page.evaluate(COVERING) == []
        # MathJax's own guard, handed the hostile TeX with nothing before it
        filtered = page.evaluate(SAFE_FILTERS)
        assert filtered["href"]["hrefs"] == [], filtered
        assert filtered["file"]["hrefs"] == [], filtered
        assert "fixed" not in filtered["style"]["styles"], filtered
        assert "read-more" not in filtered["cls"]["classes"], filtered
        assert "comments" not in filtered["id"]["ids"], filtered
    assert page.errors == []
