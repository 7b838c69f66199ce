"""MathJax on every page with math, in any theme, with no template edit.

The pure functions of :mod:`pelican_sujianlin.mathjax` are tested directly;
then one small site (inline and display math, ``\\eqref``, a series, a page
and a draft with math, pagination) is built with Pelican's ``notmyidea`` and
``simple`` and two themes installed from PyPI (``pelican-theme-reflex``,
``pelican-engineering-theme``: pinned in the test extra), with no
``THEME_TEMPLATES_OVERRIDES``. Chromium's view of the same builds is in
``test_mathjax_browser.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import BASE_SETTINGS, Site, run_pelican, write_content
from hypothesis import given
from hypothesis import strategies as st

from pelican_sujianlin import mathjax
from pelican_sujianlin.equations import scan_html
from pelican_sujianlin.mathjax import (
    MARKER,
    MathJaxConfig,
    clean_head,
    clean_text,
    has_math,
    join_edited,
    loads_mathjax,
    may_hold_math,
    plan_page,
    read_more_words,
)

CDN = MathJaxConfig("https://cdn.example/mathjax@4/tex-mml-chtml.js", "", "")
LOCAL = MathJaxConfig("", "", "mathjax")
PAGE = "<html><head><title>t</title></head><body>{}</body></html>"


def finish_page(page: str, *args, **kwargs) -> tuple[str, bool]:
    """The written page (:func:`plan_page` applied), and whether it loads
    MathJax from the bundle."""
    edits, loaded = plan_page(page, *args, **kwargs)
    return join_edited([page], edits), loaded


# --- the pure part ----------------------------------------------------------------


def test_math_page_gets_one_script_before_head_end():
    page, loaded = finish_page(PAGE.format("<p>$x$</p>"), CDN, "")
    assert loaded
    head = page.split("</head>")[0]
    assert head.count('id="MathJax-script"') == 1
    assert 'src="https://cdn.example/mathjax@4/tex-mml-chtml.js"' in head
    assert page.endswith("<body><p>$x$</p></body></html>")


@pytest.mark.parametrize(
    "body",
    [
        "<p>价格是 $5 和 $10</p>",
        "<pre><code>$x$ \\[y\\]</code></pre>",
        "<p>no math</p><!-- $x$ -->",
        '<p><a title="$x$">a</a></p>',
        "<script>var a = '$x$';</script>",
    ],
)
def test_page_without_math_is_left_byte_for_byte(body):
    text = PAGE.format(body)
    assert finish_page(text, CDN, "") == (text, False)


def test_theme_with_its_own_mathjax_is_left_alone():
    own = '<script src="https://cdn.example/MathJax.js?config=TeX"></script>'
    text = f"<html><head>{own}</head><body>$x$</body></html>"
    assert finish_page(text, CDN, "") == (text, False)
    config = "<script>window.MathJax = {};</script>"
    text = f"<html><head>{config}</head><body>$x$</body></html>"
    assert finish_page(text, CDN, "") == (text, False)
    # the word in a link is not a script
    link = '<a href="https://www.mathjax.org/">MathJax</a>'
    assert not loads_mathjax(link)
    assert finish_page(PAGE.format(link + "$x$"), CDN, "")[1]


def test_marker_places_the_script_once_or_goes():
    text = f"<html><head></head><body>$x${MARKER}<p>a</p>{MARKER}</body></html>"
    page, loaded = finish_page(text, CDN, "")
    assert loaded
    assert MARKER not in page
    assert page.count('id="MathJax-script"') == 1
    assert page.index("MathJax-script") < page.index("<p>a</p>")
    plain = f"<html><head>{MARKER}</head><body>a</body></html>"
    assert finish_page(plain, CDN, "") == (
        "<html><head></head><body>a</body></html>",
        False,
    )


def test_marker_in_head_with_a_description_to_clean():
    text = (
        '<html><head><meta name="description" content="见 $$ x $$ 点击阅读全文...">'
        f"{MARKER}</head><body>$x$</body></html>"
    )
    page, loaded = finish_page(text, CDN, "", lambda: ["点击阅读全文..."])
    assert loaded
    head = page.split("</head>")[0]
    assert 'content="见"' in head
    assert head.count('id="MathJax-script"') == 1
    assert MARKER not in page
    assert page.endswith("<body>$x$</body></html>")


def test_fragment_without_head_or_body_is_not_a_page():
    assert finish_page("<p>$x$</p>", CDN, "") == ("<p>$x$</p>", False)
    page, loaded = finish_page("<body><p>$x$</p></body>", CDN, "")
    assert loaded
    assert page.index("MathJax-script") < page.index("</body>")


@st.composite
def pieces_and_edits(draw):
    pieces = draw(st.lists(st.text(alphabet="ab<>", max_size=6), max_size=8))
    size = sum(map(len, pieces))
    cuts = sorted(draw(st.lists(st.integers(0, size), max_size=6)))
    edits = []
    for start, stop in zip(cuts[::2], cuts[1::2], strict=False):
        edits.append((start, stop, draw(st.text(alphabet="XY", max_size=3))))
    return pieces, edits


@given(pieces_and_edits())
def test_join_edited_is_editing_the_joined_text(case):
    pieces, edits = case
    text = "".join(pieces)
    expected, last = [], 0
    for start, stop, new in edits:
        expected += [text[last:start], new]
        last = stop
    expected.append(text[last:])
    assert join_edited(pieces, edits) == "".join(expected)


def snippet_config(snippet: str) -> dict:
    """The configuration of a snippet, its one RegExp made a string."""
    script = re.search(r"window\.MathJax = (.*?);</script>", snippet)[1]
    script = script.replace(mathjax.ID_PATTERN, json.dumps(mathjax.ID_PATTERN))
    return json.loads(script)


def test_snippet_loads_safe_and_draws_given_tags():
    snippet = CDN.snippet("")
    config = snippet_config(snippet)
    assert config["options"]["safeOptions"]["idPattern"] == mathjax.ID_PATTERN
    assert config["loader"]["load"] == ["ui/safe"]
    assert config["tex"]["tags"] == "none"
    assert config["tex"]["inlineMath"][0] == ["$", "$"]
    assert "paths" not in config["loader"]
    four = MathJaxConfig(
        "/node_modules/mathjax/tex-chtml.js", "/node_modules/@mathjax", ""
    )
    config = snippet_config(four.snippet(""))
    assert config["loader"]["paths"] == {"fonts": "/node_modules/@mathjax"}


@pytest.mark.parametrize(
    ("siteurl", "src"),
    [
        ("", "/mathjax/tex-chtml.js"),
        ("..", "../mathjax/tex-chtml.js"),
        ("https://blog.example/x", "https://blog.example/x/mathjax/tex-chtml.js"),
    ],
)
def test_local_script_follows_the_page_siteurl(siteurl, src):
    assert f'src="{src}"' in LOCAL.snippet(siteurl)


def test_config_from_settings():
    assert MathJaxConfig.from_settings({"MATHJAX_URL": "local"}) == LOCAL
    moved = {"MATHJAX_URL": "local", "MATHJAX_LOCAL_PATH": "/static/mj/"}
    assert MathJaxConfig.from_settings(moved).local_path == "static/mj"
    assert MathJaxConfig.from_settings({}).url.startswith("https://cdn.jsdelivr.net/")


def test_has_math_uses_the_bundles_rules():
    assert has_math("<p>\\begin{equation}x\\end{equation}</p>")
    assert has_math("<p>\\(x\\)</p>")
    assert not has_math("<p>$5 and $10</p>")
    assert not has_math("<code>$x$</code>")


@pytest.mark.parametrize(
    ("page", "may"),
    [
        ("<p>no math, 中文</p>", False),
        ("<p>\\beta_t and \\sum_i \\url{x} \\refx{a}</p>", False),
        ("<p>\\ref{a</p>", False),  # scan_html's reference needs its brace
        ("<p>$5</p>", True),
        ("<p>\\(x</p>", True),
        ("<p>\\[x</p>", True),
        ("<p>\\begin {align}</p>", True),
        ("<p>\\beta then \\eqref{eq-1}</p>", True),
        ("<p>\\ref { x }</p>", True),
    ],
)
def test_may_hold_math_agrees_with_the_scan(page, may):
    """The quick look (str.find) says no only where the scan finds nothing."""
    assert may_hold_math(page) is may
    if not may:
        assert not scan_html(page)


_PIECES = [*"\\$([{}x 中", "begin", "eqref", "ref", "<p>", "<code>", "</code>"]


@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_may_hold_math_never_hides_what_the_scan_finds(page):
    if scan_html(page):
        assert may_hold_math(page)


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("先看式(1)，$x_i$。 $$ L = x \\tag{1} $$ 点击阅读全文...", "先看式(1)，x_i。"),
        ("a \\begin{align} x &= 1 \\end{align} b", "a b"),
        ("a \\[ x \\] b \\(y\\)", "a b y"),
        ("半$\\frac{1}{2}$，$x_i$", "半 ，x_i"),
        ("cut by the theme: $$ L = \\sum_i x_i", "cut by the theme:…"),
        ("plain text", "plain text"),
    ],
)
def test_clean_text(text, clean):
    assert clean_text(text, ["点击阅读全文..."]) == clean


def test_clean_text_keeps_dollars_of_pages_without_math():
    assert (
        clean_text("价格 $5 和 $10 代码 $x$", [], tex=False)
        == "价格 $5 和 $10 代码 $x$"
    )


def test_read_more_words():
    summary = '<p>a</p><a class="read-more" href="/x#more">点击阅读全文&hellip;</a>'
    assert "点击阅读全文…" in read_more_words(summary)
    assert read_more_words("<p>no link</p>") == []


def test_clean_head_meta_and_json_ld():
    summary = "先看式$x$。$$ y \\tag{1} $$ Read more…"
    ld = json.dumps({"@type": "Article", "description": summary}, ensure_ascii=False)
    text = (
        f'<head><meta name="description" content="{summary}" />'
        f"<meta property='og:description' content='{summary}'>"
        f'<meta name="twitter:description" content="{summary}">'
        f'<meta name="keywords" content="$x$">'
        f'<script type="application/ld+json">{ld}</script></head>'
    )
    page = clean_head(text, lambda: ["Read more…"])
    soup = BeautifulSoup(page, "html.parser")
    for selector in (
        'meta[name="description"]',
        'meta[property="og:description"]',
        'meta[name="twitter:description"]',
    ):
        assert soup.select_one(selector)["content"] == "先看式x。"
    assert soup.select_one('meta[name="keywords"]')["content"] == "$x$"
    data = json.loads(soup.find("script").string)
    assert data == {"@type": "Article", "description": "先看式x。"}
    assert clean_head(page, lambda: ["Read more…"]) == page


def test_clean_head_asks_for_words_only_when_needed():
    asked = []

    def words():
        asked.append(1)
        return []

    text = '<head><meta name="description" content="plain"></head>'
    assert clean_head("<head></head>", words) == "<head></head>"
    assert clean_head(text, words) == text
    assert len(asked) == 1


# --- the local copy ---------------------------------------------------------------


def test_local_files_are_few_and_small():
    source = mathjax.local_source()
    assert source is not None, "the test extra installs django-static-mathjax"
    files = mathjax.local_files(source)
    names = {path.as_posix() for path in files}
    assert {"tex-chtml.js", "ui/safe.js"} <= names
    assert any(name.endswith(".woff") for name in names)
    assert "input/tex/extensions/physics.js" in names
    size = sum((source / path).stat().st_size for path in files)
    assert size < 3_000_000


# --- a small site in four themes ----------------------------------------------------

FIRST = r"""Title: First part
Date: 2024-01-02
Slug: first
Tags: math
Category: notes
Series: Diffusion
Readers: 73091

先看式$\eqref{eq:loss}$，其中$x_i$是样本：
$$
L = \sum_i x_i^2 \label{eq:loss}
$$

<!--more-->

\begin{align}
a &= \frac{1}{2} \label{eq:half} \\
b &= c + \eqref{eq:loss}
\end{align}
由\eqref{eq:half}可知。
"""

SECOND = r"""Title: Second part
Date: 2024-01-03
Slug: second
Tags: math
Category: notes
Series: Diffusion

\begin{equation}
M = \frac{x}{y} \label{eq:m}
\end{equation}
见\eqref{eq:m}与上一篇的\eqref{first/eq:loss}。
"""

PLAIN = """Title: Plain post
Date: 2024-01-01
Slug: plain
Tags: misc
Category: essays

价格是 $5 和 $10，代码 `$x_1$`，没有公式。
"""

ABOUT = r"""Title: About
Slug: about

本站的公式：$E = mc^2$，以及
$$
\frac{a}{b} \label{eq:ab}
$$
见\eqref{eq:ab}。
"""

DRAFT = r"""Title: Draft
Date: 2024-01-04
Slug: draft
Status: draft

草稿里的公式：$\frac{1}{2}$。
"""

CONTENT = {
    "first.md": FIRST,
    "second.md": SECOND,
    "plain.md": PLAIN,
    "pages/about.md": ABOUT,
    "draft.md": DRAFT,
}

# Pages showing math in every theme; every other HTML page shows none.
MATH_PAGES = {
    "first.html",
    "second.html",
    "pages/about.html",
    "drafts/draft.html",
    "index.html",  # newest first, one post per page: second
    "index2.html",  # first's summary
    "tag/math.html",
    "category/notes.html",
    "author/su-jian-lin.html",
    "series/diffusion.html",
}
NO_MATH_PAGES = {"plain.html", "index3.html", "tag/misc.html", "archives.html"}


def _identity(text: str, **values) -> str:
    return text % values if values else text


def _plural(singular: str, plural: str, number: int, **values) -> str:
    return (singular if number == 1 else plural) % dict(values, num=number)


def engineering_theme() -> str:
    import pelican_engineering_theme

    return str(pelican_engineering_theme.get_theme_path())


# What each theme needs beyond the site's settings (its README's minimum).
THEMES = {
    "notmyidea": lambda: {"THEME": "notmyidea"},
    "simple": lambda: {"THEME": "simple"},
    # Flex's fork: translations (i18n_subsites or a gettext) and a licence.
    "reflex": lambda: {
        "THEME": "reflex",
        "JINJA_ENVIRONMENT": {"extensions": ["jinja2.ext.i18n"]},
        "JINJA_GLOBALS": {"gettext": _identity, "ngettext": _plural},
        "CC_LICENSE": {"name": "CC BY-SA", "version": "4.0", "slug": "by-sa"},
        "COPYRIGHT_YEAR": 2024,
    },
    "engineering": lambda: {
        "THEME": engineering_theme(),
        "ENGINEERING_THEME_ENABLE_ARTICLE_JSON_LD": True,
    },
}


def mathjax_scripts(text: str) -> int:
    return text.count('id="MathJax-script"')


def build_once(folder: Path, theme: str, **overrides) -> Site:
    """The theme site built into ``folder`` (for module-scoped fixtures)."""
    write_content(folder / "content", CONTENT)
    settings = {
        **BASE_SETTINGS,
        "PATH": str(folder / "content"),
        "OUTPUT_PATH": str(folder / "output"),
        "CACHE_PATH": str(folder / "cache"),
        "PLUGINS": ["pelican_sujianlin"],
        **THEMES[theme](),
        "DEFAULT_PAGINATION": 1,
        "FEED_ALL_ATOM": "feeds/all.atom.xml",
        **overrides,
    }
    warnings = run_pelican(settings)
    return Site(folder / "content", folder / "output", settings, warnings)


@pytest.fixture(scope="module", params=sorted(THEMES))
def theme_site(request, tmp_path_factory):
    return request.param, build_once(
        tmp_path_factory.mktemp(request.param), request.param
    )


# TeX of CONTENT as a page's visible text shows it (the plain post has none).
TEX_SEEN = ("x_i", "\\frac", "E = mc^2", "\\tag{")


def shows_tex(text: str) -> bool:
    """Whether the visible text of a page holds TeX of :data:`CONTENT`."""
    soup = BeautifulSoup(text, "html.parser")
    for element in soup(["script", "style", "head"]):
        element.decompose()
    visible = soup.get_text()
    return any(tex in visible for tex in TEX_SEEN)


def test_every_page_with_math_loads_mathjax_once(theme_site):
    theme, site = theme_site
    pages = {
        name: text.decode()
        for name, text in site.files().items()
        if name.endswith(".html")
    }
    with_math = {name for name, text in pages.items() if shows_tex(text)}
    assert with_math >= MATH_PAGES, theme
    assert not with_math & NO_MATH_PAGES, theme
    for name, text in pages.items():
        expected = 1 if name in with_math else 0
        assert mathjax_scripts(text) == expected, (theme, name)
        assert MARKER not in text
    assert "THEME_TEMPLATES_OVERRIDES" not in site.settings
    assert not site.exists("mathjax")  # MathJax from its URL, nothing copied


def test_feeds_stay_free_of_scripts(theme_site):
    _, site = theme_site
    feed = site.read("feeds/all.atom.xml")
    assert "\\tag{1}" in feed
    assert "<script" not in feed
    assert "&lt;script" not in feed


def descriptions(text: str) -> list[str]:
    soup = BeautifulSoup(text, "html.parser")
    found = [
        tag.get("content", "")
        for tag in soup.find_all("meta")
        if (tag.get("name") or tag.get("property"))
        in {"description", "og:description", "twitter:description"}
    ]
    for script in soup.find_all("script", type="application/ld+json"):
        found.extend(re.findall(r'"description":\s*"((?:[^"\\]|\\.)*)"', script.string))
    return found


def test_descriptions_are_clean_and_list_pages_keep_the_link(theme_site):
    theme, site = theme_site
    seen = []
    for name, raw in site.files().items():
        if not name.endswith(".html"):
            continue
        for value in descriptions(raw.decode()):
            seen.append(value)
            assert "点击阅读全文" not in value, (theme, name, value)
            if name != "plain.html":  # its dollars are prices and code
                assert "$" not in value, (theme, name, value)
                assert "\\" not in value, (theme, name, value)
    if theme in {"notmyidea", "reflex", "engineering"}:
        cleaned = [
            value for value in seen if value.startswith("先看式(1)，其中x_i是样本")
        ]
        assert cleaned, theme
        if theme == "engineering":  # og:, twitter: and JSON-LD
            assert len(cleaned) >= 3
    # the list page keeps a visible link to the rest: the bundle's, or the
    # theme's own where it prints one (then the bundle adds none)
    links = BeautifulSoup(site.read("index2.html"), "html.parser").find_all("a")
    more = [
        link
        for link in links
        if link.get("href", "").split("#")[0].endswith("first.html")
        and link.get_text().strip() != "First part"
    ]
    assert more, theme
    if theme in {"simple", "engineering"}:
        assert more[0].get("class") == ["read-more"]
        assert more[0].get_text() == "点击阅读全文..."


def test_plain_post_description_keeps_its_dollars(build_site):
    site = build_site(CONTENT, THEME="notmyidea")
    assert "价格是 $5 和 $10" in site.read("plain.html")


def simple_with(tmp_path: Path, block: str, text: str) -> dict:
    """Settings for ``simple`` with ``text`` appended to its ``block``."""
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "base.html").write_text(
        f'{{% extends "!simple/base.html" %}}{{% block {block} %}}{{{{ super() }}}}'
        f"{text}{{% endblock %}}",
        encoding="utf-8",
    )
    return {"THEME": "simple", "THEME_TEMPLATES_OVERRIDES": [str(overrides)]}


def test_theme_partial_places_mathjax_once(build_site, tmp_path: Path):
    partial = '{% include "sujianlin/mathjax.html" %}'
    site = build_site(CONTENT, **simple_with(tmp_path, "footer", partial))
    first = site.read("first.html")
    assert mathjax_scripts(first) == 1
    head, body = first.split("</head>", 1)
    assert "MathJax" not in head
    assert "MathJax-script" in body
    assert "MathJax" not in site.read("plain.html")
    assert MARKER not in site.read("plain.html")


def test_theme_with_its_own_mathjax_gets_no_second(build_site, tmp_path: Path):
    own = '<script src="https://cdn.example/mathjax/3/es5/tex-chtml.js"></script>'
    site = build_site(CONTENT, **simple_with(tmp_path, "head", own))
    first = site.read("first.html")
    assert first.count("<script") == 1
    assert mathjax_scripts(first) == 0


def test_equations_alone_loads_mathjax(build_site):
    site = build_site(CONTENT, PLUGINS=["pelican_sujianlin.equations"])
    assert mathjax_scripts(site.read("first.html")) == 1
    assert mathjax_scripts(site.read("plain.html")) == 0


# --- MATHJAX_URL = "local" ------------------------------------------------------------


def test_local_mathjax_copies_what_pages_use(build_site):
    site = build_site(
        CONTENT, MATHJAX_URL="local", RELATIVE_URLS=True, DELETE_OUTPUT_DIRECTORY=True
    )
    assert site.warnings == []
    assert 'src="./mathjax/tex-chtml.js"' in site.read("first.html")
    assert 'src="../mathjax/tex-chtml.js"' in site.read("pages/about.html")
    folder = site.output / "mathjax"
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert (folder / "tex-chtml.js").is_file()
    assert (folder / "ui" / "safe.js").is_file()
    assert not any(path.is_symlink() for path in folder.rglob("*"))
    assert sum(path.stat().st_size for path in files) < 3_000_000
    # publishconf.py's DELETE_OUTPUT_DIRECTORY: a second build works
    again = build_site(
        CONTENT,
        MATHJAX_URL="local",
        OUTPUT_PATH=str(site.output),
        DELETE_OUTPUT_DIRECTORY=True,
    )
    assert again.warnings == []
    assert (folder / "tex-chtml.js").is_file()


def test_local_mathjax_not_copied_without_math(build_site):
    site = build_site({"plain.md": PLAIN}, MATHJAX_URL="local")
    assert not site.exists("mathjax")
    assert "MathJax" not in site.read("plain.html")


def test_local_mathjax_missing_package_warns(build_site, monkeypatch):
    monkeypatch.setattr(mathjax, "local_source", lambda: None)
    site = build_site({"first.md": FIRST}, MATHJAX_URL="local")
    assert any(
        "MATHJAX_URL" in w and "django-static-mathjax" in w for w in site.warnings
    )
    assert site.exists("first.html")
    assert mathjax_scripts(site.read("first.html")) == 1


# --- docs/themes.md's worked examples -----------------------------------------------

DOC_EXAMPLES = {
    "notmyidea": {
        "article.html": """{% extends "!theme/article.html" %}
{% block content %}
{{ super() }}
<section class="body">
{% include "sujianlin/meta.html" %}
{% include "sujianlin/series.html" %}
{% include "sujianlin/citation.html" %}
{% include "sujianlin/comments.html" %}
</section>
{% endblock %}""",
        "index.html": """{% extends "!theme/index.html" %}
{% block content %}
{{ super() }}
<section class="body">
{% include "sujianlin/recent_comments.html" %}
{% include "sujianlin/popular.html" %}
</section>
{% endblock %}""",
    },
    "reflex": {
        "partial/neighbors.html": """{% include "sujianlin/meta.html" %}
{% include "sujianlin/series.html" %}
{% include "sujianlin/citation.html" %}
{% include "sujianlin/comments.html" %}
{% include "!theme/partial/neighbors.html" %}""",
        "partial/footer.html": """{% include "sujianlin/recent_comments.html" %}
{% include "!theme/partial/footer.html" %}""",
    },
}


@pytest.mark.parametrize("theme", sorted(DOC_EXAMPLES))
def test_documented_theme_examples(build_site, tmp_path: Path, theme):
    docs = (Path(__file__).parent.parent / "docs" / "themes.md").read_text("utf-8")
    overrides = tmp_path / "overrides"
    for name, text in DOC_EXAMPLES[theme].items():
        assert text in docs, name  # the test builds what the page shows
        (overrides / name).parent.mkdir(parents=True, exist_ok=True)
        (overrides / name).write_text(text, encoding="utf-8")
    site = build_site(
        CONTENT, **THEMES[theme](), THEME_TEMPLATES_OVERRIDES=[str(overrides)]
    )
    assert site.warnings == []
    first = BeautifulSoup(site.read("first.html"), "html.parser")
    assert first.select_one("nav.series a[rel=next]") is not None
    assert first.select_one("section#cite") is not None
    assert "73091位读者" in first.select_one("span.readers").get_text()
    assert mathjax_scripts(site.read("first.html")) == 1
