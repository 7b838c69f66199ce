"""MathJax in Chromium, in four themes with no template edit, with no network.

Each site of ``test_mathjax.py`` is built with ``MATHJAX_URL = "local"``
(MathJax 3 copied from django-static-mathjax) and served on 127.0.0.1; every
other request is aborted. On every page showing math: formulas typeset, no
``mjx-merror``, no raw TeX left in the visible text, exactly one MathJax
script, and on the article the tags (1), (2), (3) drawn. The example site,
built with the README's command, is checked the same way.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE_SITE, NODE_MODULES
from test_equations_browser import DRAWN_TAGS
from test_mathjax import THEMES, build_once, shows_tex

pytestmark = pytest.mark.browser

RAW_TEX = ("\\begin{", "\\frac", "$$", "\\tag{", "\\eqref")

CHECK = r"""() => ({
  containers: document.querySelectorAll("mjx-container").length,
  errors: document.querySelectorAll("mjx-merror").length,
  scripts: Array.from(document.scripts)
    .filter(s => /tex-(mml-)?chtml\.js$/.test(s.src)).length,
  text: document.body.innerText,
})"""


def offline(page, base: str) -> list[str]:
    """Abort every request that does not go to ``base``; the local failures."""
    failed: list[str] = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(base) else route.abort()
        ),
    )
    # (a local request the next navigation cancels is ERR_ABORTED, not missing;
    # a missing file is a 404 response)
    page.on(
        "requestfailed",
        lambda request: (
            request.url.startswith(base)
            and "ERR_ABORTED" not in (request.failure or "")
            and failed.append(f"{request.failure} {request.url}")
        ),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and "favicon" not in response.url
            and failed.append(f"{response.status} {response.url}")
        ),
    )
    return failed


def typeset(page, url: str) -> dict:
    page.goto(url)
    page.wait_for_function("() => window.MathJax?.startup?.promise !== undefined")
    page.evaluate("() => MathJax.startup.promise")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    return page.evaluate(CHECK)


def assert_typeset(result: dict, where: str) -> None:
    """Typeset, no error, no raw TeX, one MathJax component (MathJax adds
    scripts for what it loads itself, such as ``ui/safe``)."""
    assert result["containers"] > 0, where
    assert result["errors"] == 0, where
    assert result["scripts"] == 1, where
    for tex in RAW_TEX:
        assert tex not in result["text"], (where, tex)


@pytest.fixture(scope="module", params=sorted(THEMES))
def local_site(request, tmp_path_factory):
    site = build_once(
        tmp_path_factory.mktemp(f"browser-{request.param}"),
        request.param,
        MATHJAX_URL="local",
        RELATIVE_URLS=True,
    )
    return request.param, site


def test_every_math_page_typesets_offline(local_site, serve, page):
    theme, site = local_site
    pages = sorted(
        name
        for name, text in site.files().items()
        if name.endswith(".html") and shows_tex(text.decode())
    )
    assert len(pages) >= 10, theme
    with serve(site.output) as base:
        failed = offline(page, base)
        for name in pages:
            assert_typeset(typeset(page, f"{base}/{name}"), f"{theme}: {name}")
            if name == "first.html":
                assert page.evaluate(DRAWN_TAGS) == ["(1)", "(2)", "(3)"]
                # \href{#eq-first-1} inside a formula survives ui/safe
                link = page.locator('mjx-container a[href="#eq-first-1"]')
                assert link.count() == 1
        assert failed == []
        assert page.errors == []


SAFE = r"""Title: Safe
Date: 2024-01-05
Slug: safe

$$
x \href{javascript:alert(1)}{=} y \label{eq:x}
$$
$\style{position:fixed;top:0}{\cssId{evil}{z}}$ and \eqref{eq:x} $a + \eqref{eq:x}$.
"""


@pytest.mark.parametrize(
    "url", ["local", "/node_modules/mathjax/tex-mml-chtml.js"], ids=["mj3", "mj4"]
)
def test_safe_extension_filters_but_keeps_fragment_links(build_site, serve, page, url):
    site = build_site({"safe.md": SAFE}, MATHJAX_URL=url, SITEURL="")
    with serve(site.output, {"/node_modules": NODE_MODULES}) as base:
        failed = offline(page, base)
        result = typeset(page, f"{base}/safe.html")
        assert result["containers"] == 3
        assert result["errors"] == 0
        assert page.locator('a[href^="javascript"]').count() == 0
        assert page.locator("mjx-container [style*='fixed']").count() == 0
        assert page.locator("#evil").count() == 0
        # the drawn tag keeps MathJax's id (MathJax 3's own rule would drop it)
        assert page.locator('mjx-container [id^="mjx-eqn"]').count() == 1
        # \href{#eq-safe-1} inside a formula: kept, and it still leads there
        # (MathJax 4 writes data-mjx-href and follows it on click)
        link = page.locator(
            'mjx-container a[href="#eq-safe-1"],'
            ' mjx-container a[data-mjx-href="#eq-safe-1"]'
        )
        assert link.count() == 1
        link.click()
        page.wait_for_function("() => location.hash === '#eq-safe-1'")
        assert page.evaluate("() => MathJax.config.loader.load").count("ui/safe") == 1
        assert failed == []


def test_example_site_from_the_readme_typesets_offline(tmp_path, serve, page):
    folder = tmp_path / "example_site"
    shutil.copytree(
        EXAMPLE_SITE, folder, ignore=shutil.ignore_patterns("output", "cache")
    )
    pelican = Path(sys.executable).parent / "pelican"
    subprocess.run([str(pelican), "content"], cwd=folder, check=True, timeout=300)
    output = folder / "output"
    assert (output / "mathjax" / "tex-chtml.js").is_file()
    assert not any(path.is_symlink() for path in output.rglob("*"))
    numbered = sorted(
        path.relative_to(output).as_posix()
        for path in output.glob("archives/*/index.html")
        if "\\tag{2}" in path.read_text(encoding="utf-8")
    )
    assert numbered
    with serve(output) as base:
        failed = offline(page, base)
        for name in (numbered[0], "index.html"):
            result = typeset(page, f"{base}/{name}")
            assert_typeset(result, name)
        typeset(page, f"{base}/{numbered[0]}")
        tags = page.evaluate(DRAWN_TAGS)
        assert tags[:2] == ["(1)", "(2)"]
        assert failed == []
        assert page.errors == []
