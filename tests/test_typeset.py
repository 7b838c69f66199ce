"""Build-time typesetting (``EQUATIONS_RENDER = "build"``): the pure functions,
MathJax in V8 (TeX in, CommonHTML out), the cache, and real site builds."""

from __future__ import annotations

import json
import logging
import pickle
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from conftest import IN_CI

from pelican_sujianlin import equations, mathjax, typeset
from pelican_sujianlin.typeset import (
    FormulaCache,
    Typeset,
    feed_math,
    find_formulas,
    formula_tex,
    formulas_at,
    places_of,
    typeset_html,
)

if not typeset.extra_installed():
    message = 'needs pip install "pelican-sujianlin[build-math]"'
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)


@pytest.fixture(scope="module")
def engine() -> typeset.Engine:
    return typeset.Engine()


_DRAWN = re.compile(r'<mjx-c class="mjx-c([0-9A-F]+)|<mjx-utext[^>]*>([^<]*)')


def drawn_text(output: str) -> str:
    """The characters MathJax's CommonHTML draws: each glyph's class names
    its code point (``mjx-c1D465``); text outside its fonts is ``mjx-utext``."""
    return "".join(
        chr(int(code, 16)) if code else text for code, text in _DRAWN.findall(output)
    )


def drawn_tags(container: str) -> list[str]:
    """The tags drawn in the labels column of one typeset formula."""
    labels = container.split("<mjx-labels", 1)
    if len(labels) == 1:
        return []
    cells = labels[1].split("</mjx-labels>", 1)[0].split("<mjx-mtd")[1:]
    return [drawn_text(cell) for cell in cells]


# --- the pure functions -------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "kind", "tex"),
    [
        ("$x^2$", "inline", "x^2"),
        ("\\(a &lt; b\\)", "inline", "a < b"),
        ("$$ a &amp; b $$", "display", " a & b "),
        ("\\[x\\]", "display", "x"),
        (
            "\\begin{align}a&amp;=b\\end{align}",
            "display",
            "\\begin{align}a&=b\\end{align}",
        ),
    ],
)
def test_formula_tex_unescapes_and_drops_delimiters(span, kind, tex):
    assert formula_tex(span, kind) == tex


def test_find_formulas_skips_code_references_and_typeset_math():
    text = (
        "<p>$a$ and <code>$b$</code> \\eqref{x}</p>"
        '<mjx-container class="MathJax" jax="CHTML"><math><mtext>$c$</mtext></math>'
        "</mjx-container><p>\\[d\\]</p>"
    )
    found = [(tex, display) for tex, display, _, _ in find_formulas(text)]
    assert found == [("a", False), ("d", True)]


@pytest.mark.parametrize(
    "text",
    [
        "<p>$a &lt; b$, \\(c\\) and $$d$$</p>\\begin{align}x&amp;=1\\end{align}",
        "<p>中文 $x_1$ 与 \\[\\frac{1}{2}\\]，<code>$no$</code></p>",
        "<p>no math</p>",
    ],
)
def test_formulas_at_their_places_are_the_formulas_found(text):
    formulas = find_formulas(text)
    assert formulas_at(text, places_of(formulas)) == formulas


def fake_lookup(tex: str, display: bool) -> Typeset:
    if tex == "bad":
        return Typeset("<b>error</b>", "Missing close brace")
    if tex == "crash":
        return Typeset(None, "internal")
    return Typeset(f"<m d={display}>{tex}</m>", None)


def test_typeset_html_replaces_each_formula_in_place():
    new, remains, errors = typeset_html("<p>A $x$ B</p>\\[y\\]", fake_lookup)
    assert new == "<p>A <m d=False>x</m> B</p><m d=True>y</m>"
    assert (remains, errors) == (False, [])


def test_typeset_html_reports_errors_and_keeps_what_mathjax_failed_on():
    new, remains, errors = typeset_html("$bad$ and $crash$", fake_lookup)
    assert new == "<b>error</b> and $crash$"
    assert remains  # the browser's MathJax gets $crash$
    assert errors == [("bad", "Missing close brace"), ("crash", "internal")]


def test_text_without_math_is_returned_as_is():
    text = "<p>no math, a \\ backslash</p>"
    assert typeset_html(text, fake_lookup) == (text, False, [])


def test_feed_math_keeps_only_the_mathml_with_absolute_links():
    item = (
        '<p><mjx-container class="MathJax" jax="SVG"><svg><a href="#e">x</a></svg>'
        '<mjx-assistive-mml display="inline"><math xmlns="m"><mrow href="#e">'
        "<mi>x</mi></mrow></math></mjx-assistive-mml></mjx-container></p>"
    )
    assert feed_math(item, "https://s.test/a.html") == (
        '<p><math xmlns="m"><mrow href="https://s.test/a.html#e"><mi>x</mi></mrow>'
        "</math></p>"
    )


# --- MathJax in V8: TeX in, CommonHTML out -------------------------------------


def test_tex_in_commonhtml_out_with_assistive_mathml(engine):
    (result,) = engine.typeset([("x^2", False)])
    assert result.error is None
    assert result.html.startswith('<mjx-container class="MathJax" jax="CHTML"')
    assert '<mjx-math class=" MJX-TEX" aria-hidden="true">' in result.html
    assert "<svg" not in result.html  # glyphs are classes, drawn by the stylesheet
    assert "<msup><mi>x</mi><mn>2</mn></msup>" in result.html
    assert drawn_text(result.html) == "\U0001d4652"  # math italic x, 2


def test_the_given_tag_is_drawn_and_nothing_is_numbered(engine):
    tex = "\\begin{align} a &= b \\tag{7} \\\\ c &= d \\end{align}"
    (result,) = engine.typeset([(tex, True)])
    assert drawn_tags(result.html) == ["(7)"]  # tags: 'none'


def test_a_reference_inside_math_stays_a_link(engine):
    (result,) = engine.typeset([("x = \\href{#eq-a-1}{(1)}", False)])
    link = re.search(r'<a href="#eq-a-1">(.*?)</a>', result.html)
    assert link
    assert drawn_text(link.group(1)) == "(1)"


def test_bundle_macros_typeset_without_error(engine):
    formulas = [
        ("\\boldsymbol{\\mu} + \\operatorname{sgn}(x)", False),
        ("f = \\begin{cases} 1 & x>0 \\\\ 0 \\end{cases}", True),
        ("\\begin{aligned} a &= b \\\\ &= c \\end{aligned} \\tag{2}", True),
        ("\\mathbb{R} \\mathcal{D} \\frac{1}{2}", False),
    ]
    assert [result.error for result in engine.typeset(formulas)] == [None] * 4


def test_errors_are_drawn_as_mathjax_draws_them_and_named(engine):
    bad, undefined = engine.typeset([("\\frac{1", False), ("\\nosuch x", False)])
    assert bad.error == "Missing close brace"
    assert "<merror" in bad.html
    assert undefined.error == "Undefined control sequence \\nosuch"


POOL_SCRIPT = """
import json, sys
from pelican_sujianlin import typeset
formulas = [(f"x_{{{n}}}", False) for n in range(typeset.POOL_THRESHOLD)]
# no engine here: only the pool can typeset
done = dict(typeset.typeset_formulas(formulas, 2, None))
print(json.dumps([list(done) == formulas, done[("x_{7}", False)]]))
"""


def test_the_pool_typesets_in_two_workers_as_one_engine_does(engine):
    # A fresh interpreter, as ``pelican`` is: V8 never ran there before the
    # workers are forked.
    answer = subprocess.run(
        [sys.executable, "-c", POOL_SCRIPT],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    in_order, pooled = json.loads(answer.stdout.splitlines()[-1])
    assert in_order
    assert Typeset(*pooled) == engine.typeset([("x_{7}", False)])[0]


def test_the_stylesheet_draws_every_glyph_from_fonts_beside_it(engine):
    sheet = engine.stylesheet()
    assert "mjx-c.mjx-c1D465.TEX-I::before" in sheet  # whatever was typeset
    assert "mjx-c.mjx-c222B.TEX-S2::before" in sheet  # display integral
    fonts = re.findall(r'url\("([^"]+)"\)', sheet)
    assert fonts
    assert all(url.startswith(f"{typeset.FONT_FOLDER}/") for url in fonts)
    assert "mjx-assistive-mml" in sheet


# --- the cache -------------------------------------------------------------------


def test_cache_round_trip_keeps_only_what_was_used(tmp_path):
    path = tmp_path / "c.pickle"
    cache = FormulaCache(path, "d1")
    cache.put("Ia", Typeset("A", None))
    cache.put("Ib", Typeset("B", None))
    cache.stylesheet = "mjx-c {}"
    cache.save()
    again = FormulaCache(path, "d1")
    assert again.stylesheet == "mjx-c {}"
    assert again.get("Ia") == Typeset("A", None)
    again.save()  # Ib was not used: dropped
    assert FormulaCache(path, "d1").entries == {"Ia": Typeset("A", None)}


def test_cache_of_other_options_or_corrupt_starts_empty(tmp_path, caplog):
    path = tmp_path / "c.pickle"
    path.write_bytes(pickle.dumps(("d1", {"Ia": Typeset("A", None)}, "")))
    assert FormulaCache(path, "d2").entries == {}
    path.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        assert FormulaCache(path, "d1").entries == {}
    assert str(path) in caplog.text


def test_places_of_formulas_are_cached_by_text_and_scanner(tmp_path, monkeypatch):
    path = tmp_path / "c.pickle"
    text, other = "<p>$a$ and \\[b\\]</p>", "<p>$c$</p>"
    cache = FormulaCache(path, "d1", "scanner1")
    assert cache.find(text) == find_formulas(text)
    assert cache.find(other) == find_formulas(other)
    cache.save()

    def no_scan(text):
        raise AssertionError("scanned again")

    monkeypatch.setattr(typeset, "find_formulas", no_scan)
    again = FormulaCache(path, "d1", "scanner1")
    assert again.find(text) == [("a", False, 3, 6), ("b", True, 11, 16)]
    again.save()  # the other text was not asked for: dropped
    assert len(FormulaCache(path, "d1", "scanner1").places) == 1
    # another scanner (the code finding formulas changed): places start empty
    assert FormulaCache(path, "d1", "scanner2").places == {}


def test_a_cache_without_places_still_gives_its_formulas(tmp_path):
    path = tmp_path / "c.pickle"
    path.write_bytes(pickle.dumps(("d1", ({"Ia": Typeset("A", None)}, "css"))))
    cache = FormulaCache(path, "d1", "scanner1")
    assert (cache.entries, cache.stylesheet, cache.places) == (
        {"Ia": Typeset("A", None)},
        "css",
        {},
    )


def test_feed_mathml_is_cut_once_per_formula_with_links_into_each_page():
    typesetter = typeset.SiteTypesetter({})
    typesetter.cache.entries["Ix"] = Typeset(
        '<mjx-container><mjx-math></mjx-math><math><mi href="#e">x</mi></math>'
        "</mjx-container>",
        None,
    )
    first = typesetter.mathml_lookup("https://s.test/a")("x", False)
    assert first.html == '<math><mi href="https://s.test/a#e">x</mi></math>'
    assert typesetter.mathml == {"Ix": '<math><mi href="#e">x</mi></math>'}
    second = typesetter.mathml_lookup("https://s.test/b")("x", False)
    assert second.html == '<math><mi href="https://s.test/b#e">x</mi></math>'


class CountingEngine:
    def __init__(self) -> None:
        self.formulas: list[tuple[str, bool]] = []

    def typeset(self, formulas):
        self.formulas.extend(formulas)
        return [Typeset(f"<m>{tex}</m>", None) for tex, _ in formulas]


def test_repeated_formulas_are_typeset_once_and_cached_ones_never(tmp_path):
    settings = {"CACHE_PATH": str(tmp_path), "TYPESET_PROCESSES": 1}
    texts = ["$a$ $b$ $a$", "$a$ \\[a\\]"]
    first = typeset.SiteTypesetter(settings)
    first._engine = CountingEngine()
    first.prepare(map(find_formulas, texts))
    assert first._engine.formulas == [("a", False), ("b", False), ("a", True)]
    first.cache.save()
    second = typeset.SiteTypesetter(settings)
    second._engine = CountingEngine()
    second.prepare(map(find_formulas, [*texts, "$c$"]))
    assert second._engine.formulas == [("c", False)]


# --- real sites ------------------------------------------------------------------

POST = r"""Title: 公式
Date: 2024-01-02
Slug: post

行内$x_1 < y$，见\eqref{eq:e}。

\begin{equation}
E = mc^2 \label{eq:e}
\end{equation}

<!--more-->

\begin{align}
a &= b \label{eq:a} \\
c &= \boldsymbol{d} + \eqref{eq:e}
\end{align}

坏的$\frac{1$。
"""


def build_typeset(build_site, **overrides):
    return build_site(
        {"post.md": POST},
        EQUATIONS_RENDER="build",
        FEED_ALL_ATOM="feeds/all.atom.xml",
        **overrides,
    )


def test_site_pages_are_typeset_with_no_script_and_no_raw_tex(build_site):
    site = build_typeset(build_site)
    for page in ("post.html", "index.html"):
        text = site.read(page)
        assert "<mjx-container" in text
        assert "<script" not in text
        # CommonHTML on pages (MathML only inside it, for screen readers),
        # though feeds, written first, get MathML alone
        assert text.count("<math") == text.count("<mjx-assistive-mml")
        assert "\\begin{" not in text
        assert "$" not in text
    containers = re.findall(
        r"<mjx-container.*?</mjx-container>", site.read("post.html")
    )
    assert [drawn_tags(c) for c in containers if 'display="true"' in c] == [
        ["(1)"],
        ["(2)", "(3)"],
    ]
    link = re.search(r'href="#eq-post-1">(.*?)</a>', containers[-2])
    assert drawn_text(link.group(1)) == "(1)"


def test_a_formula_mathjax_cannot_typeset_warns_with_file_and_formula(build_site):
    site = build_typeset(build_site)
    warnings = [w for w in site.warnings if w.startswith("typeset:")]
    assert len(warnings) == 1
    assert "post.md" in warnings[0]
    assert "Missing close brace" in warnings[0]
    assert "\\frac{1" in warnings[0]
    assert 'data-mjx-error="Missing close brace"' in site.read("post.html")


def test_feeds_carry_mathml_with_absolute_links(build_site):
    feed = build_typeset(build_site).read("feeds/all.atom.xml")
    assert "mjx-container" not in feed
    assert "&lt;svg" not in feed
    assert "&lt;math" in feed
    assert "https://blog.example.test/post.html#eq-post-1" in feed


def test_a_rebuild_takes_every_formula_from_the_cache(
    build_site, tmp_path, monkeypatch
):
    cache = str(tmp_path / "shared-cache")
    first = build_typeset(build_site, CACHE_PATH=cache)

    class NoEngine:
        def __init__(self) -> None:
            raise AssertionError("a formula was typeset again")

    monkeypatch.setattr(typeset, "Engine", NoEngine)
    second = build_typeset(build_site, CACHE_PATH=cache)
    assert second.read("post.html") == first.read("post.html")


def test_browser_mode_is_untouched(build_site):
    site = build_site({"post.md": POST})
    assert "<mjx-container" not in site.read("post.html")
    assert "\\tag{1}" in site.read("post.html")


def test_build_without_the_extra_warns_and_keeps_mathjax_in_the_browser(
    build_site, monkeypatch
):
    monkeypatch.setattr(typeset, "extra_installed", lambda: False)
    site = build_typeset(build_site)
    assert any("build-math" in warning for warning in site.warnings)
    assert "<mjx-container" not in site.read("post.html")


def test_a_mistyped_render_setting_warns_and_keeps_mathjax_in_the_browser(caplog):
    pelican = types.SimpleNamespace(
        settings={"EQUATIONS_RENDER": "Build", "TYPESET_PROCESSES": 0}
    )
    equations.configure(pelican)  # the equations plugin reads its settings
    assert pelican.settings["EQUATIONS_RENDER"] == "browser"
    assert pelican.settings["TYPESET_PROCESSES"] is None
    assert "EQUATIONS_RENDER" in caplog.text
    assert "TYPESET_PROCESSES" in caplog.text


BROWSER_BUILD = r"""
import sys, tempfile
from pathlib import Path
from pelican import Pelican
from pelican.settings import read_settings
root = Path(tempfile.mkdtemp())
(root / "content").mkdir()
(root / "content" / "post.md").write_text(sys.argv[1], encoding="utf-8")
settings = {"PATH": str(root / "content"), "OUTPUT_PATH": str(root / "output"),
            "PLUGINS": ["pelican_sujianlin"], "CACHE_CONTENT": False}
Pelican(read_settings(override=settings)).run()
html = (root / "output" / "post.html").read_text(encoding="utf-8")
optional = ("pelican_sujianlin.typeset", "pelican_sujianlin.recent_comments.isso")
loaded = [name for name in optional if name in sys.modules]
print("tag" if "\\tag{1}" in html else "untagged", *loaded)
"""


def test_a_browser_build_does_not_import_the_typesetter():
    """Build-time typesetting is its own module: a build whose math the
    browser typesets (the default) numbers its equations without loading it
    (nor the Isso reader, without Isso)."""
    command = [sys.executable, "-c", BROWSER_BUILD, POST]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-1].split() == ["tag"]


def test_safe_links_makes_every_link_but_http_and_fragments_inert():
    text = '<a href="javascript:alert(1)"></a><a href="https://x.test/"></a>'
    text += '<use xlink:href="#MJX-TEX-N-31"></use><mrow href="data:x">'
    assert typeset.safe_links(text) == (
        '<a href="#"></a><a href="https://x.test/"></a>'
        '<use xlink:href="#MJX-TEX-N-31"></use><mrow href="#">'
    )


def test_file_comments_math_is_typeset_on_the_article_page(build_site, tmp_path):
    comment = "author: 读者\ndate: 2024-02-02\n\n评论里的 $y^2$ 与 $$\\frac{a}{b}$$\n"
    site = build_site(
        {"post.md": POST, "comments/post/1.md": comment},
        EQUATIONS_RENDER="build",
        THEME_TEMPLATES_OVERRIDES=[str(comments_theme(tmp_path))],
    )
    page = site.read("post.html")
    body = page[page.index('class="comment-body"') :]
    assert "<mjx-container" in body[: body.index("</div>")]
    assert "$" not in body[: body.index("</div>")]


def test_comments_are_copied_only_where_math_was_typeset():
    from datetime import datetime

    from pelican_sujianlin.recent_comments.comment import Comment

    typesetter = typeset.SiteTypesetter({})
    typesetter.cache.entries["Iy"] = Typeset("<m>y</m>", None)
    day = datetime(2024, 2, 2)
    plain = Comment("a", day, body="<p>no math</p>")
    reply = Comment("b", day, body="<p>$y$</p>")
    parent = Comment("c", day, body="<p>text</p>", replies=[reply])
    thread = typeset.TypesetComments([plain, parent], typesetter, "post.md")
    first, second = list(thread)
    assert first is plain
    assert second is not parent
    assert second.body == parent.body
    assert second.replies[0].body == "<p><m>y</m></p>"


def comments_theme(tmp_path: Path) -> Path:
    folder = tmp_path / "theme-comments"
    folder.mkdir()
    (folder / "article.html").write_text(
        '{% extends "!theme/article.html" %}{% block content %}{{ super() }}'
        '{% include "sujianlin/comments.html" %}{% endblock %}',
        encoding="utf-8",
    )
    return folder


def linked_stylesheet(output: Path, page: str) -> Path:
    """The stylesheet file ``page`` links, resolved as a browser would."""
    text = (output / page).read_text(encoding="utf-8")
    hrefs = re.findall(r'<link rel="stylesheet" href="([^"]*typeset[^"]*)">', text)
    assert len(hrefs) == 1
    base = output if hrefs[0].startswith("/") else (output / page).parent
    return (base / hrefs[0].lstrip("/")).resolve()


def test_pages_link_one_stylesheet_whose_fonts_are_copied_beside_it(
    build_site, tmp_path
):
    output = tmp_path / "out"
    settings = {
        "OUTPUT_PATH": str(output),
        "CACHE_PATH": str(tmp_path / "cache"),
        "RELATIVE_URLS": True,
        "DELETE_OUTPUT_DIRECTORY": True,
        "ARTICLE_URL": "posts/{slug}.html",
        "ARTICLE_SAVE_AS": "posts/{slug}.html",
    }
    for _ in range(2):  # the second build deletes the output, cache filled
        build_typeset(build_site, **settings)
        sheet = linked_stylesheet(output, "posts/post.html")
        assert sheet == linked_stylesheet(output, "index.html")
        assert sheet.is_file()
        assert not sheet.is_symlink()
        assert sheet.is_relative_to(output)
        fonts = re.findall(r'url\("([^"]+)"\)', sheet.read_text(encoding="utf-8"))
        for font in set(fonts):
            path = sheet.parent / font
            assert path.is_file()
            assert not path.is_symlink()
            assert path.stat().st_size > 0
    assert "typeset-chtml.css" not in (output / "archives.html").read_text("utf-8")
    post = (output / "posts/post.html").read_text("utf-8")
    assert 'href="../mathjax/typeset-chtml.css"' in post


def finish(page: str, config, head_extra: str) -> tuple[str, bool]:
    edits, loaded = mathjax.plan_page(page, config, "", head_extra=head_extra)
    return mathjax.join_edited([page], edits), loaded


def test_the_page_step_looks_for_raw_math_only_outside_typeset_formulas():
    config = mathjax.MathJaxConfig("https://cdn.test/tex-chtml.js", "", "")
    link = '<link rel="stylesheet" href="/mathjax/typeset-chtml.css">\n'
    typeset_math = (
        '<mjx-container class="MathJax" jax="CHTML"><mjx-math>'
        "<mjx-c></mjx-c></mjx-math><mjx-assistive-mml><math><mi>$</mi></math>"
        "</mjx-assistive-mml></mjx-container>"
    )
    # "$5 ... $6" around a typeset formula is no math span (a tag between)
    page = f"<html><head></head><body><p>$5 {typeset_math} $6</p></body></html>"
    finished, loaded = finish(page, config, link)
    assert not loaded
    assert finished == page.replace("</head>", f"{link}</head>")
    raw = page.replace("$6</p>", "$6</p><p>$x$</p>")  # math the build left
    finished, loaded = finish(raw, config, link)
    assert loaded
    assert link in finished
    assert "cdn.test/tex-chtml.js" in finished
