"""read_more on real sites: Markdown, HTML and reST markers, built-in themes,
RELATIVE_URLS, a sub-path SITEURL, feeds, drafts/hidden/pages/translations,
the content cache, and inertness."""

from __future__ import annotations

import posixpath
import re
import timeit
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from pelican_sujianlin import read_more

READ_MORE = ["pelican_sujianlin.read_more"]
SITEURL = "https://blog.example.test"
LINK = re.compile(r'<a class="read-more" href="([^"]*)">([^<]*)</a>')

MD_POST = """Title: First post
Date: 2024-01-03
Tags: maths
Slug: first-post

The intro, with a footnote[^1], a link to [the other post]({filename}cjk-long.md),
an image ![a figure]({static}images/figure.png) and *emphasis*.

<!--more-->

Below the fold.

[^1]: The footnote.
"""

HTML_POST = """<html><head>
<title>An HTML post</title>
<meta name="date" content="2024-01-02" />
<meta name="slug" content="html-post" />
</head><body>
<div class="note"><p>HTML intro <em>still <!-- more --> open</em> text.</p>
<ul><li>hidden item</li></ul></div>
<pre><!--more--> in code</pre>
</body></html>
"""

RST_POST = """A reST post
###########

:date: 2024-01-01
:slug: rst-post

The reST intro paragraph.

.. more

The reST rest.
"""

RST_RAW_POST = """A reST raw post
###############

:date: 2023-12-31
:slug: rst-raw-post

The raw intro.

.. raw:: html

   <!--more-->

The raw rest.
"""

CJK_LONG = (
    "Title: 很长的中文文章\nDate: 2023-12-30\nSlug: cjk-long\nTags: maths\n\n"
    + "这是第一段，讲一个很长的故事，一直讲下去。" * 12
    + "\n\n第二段的文字。\n"
)
CJK_SHORT = (
    "Title: 短文\nDate: 2023-12-29\nSlug: cjk-short\n\n"
    + "这一段比五十个字长，比一百五十个字短，Pelican 自己会在五十个字处截断它，"
    + "但本插件按字符计数，整段都会显示在首页上，不会出现省略号。\n"
)
IMAGE = b"\x89PNG\r\n\x1a\n"


def site_content(**extra: str | bytes) -> dict[str, str | bytes]:
    return {
        "first-post.md": MD_POST,
        "html-post.html": HTML_POST,
        "rst-post.rst": RST_POST,
        "rst-raw-post.rst": RST_RAW_POST,
        "cjk-long.md": CJK_LONG,
        "cjk-short.md": CJK_SHORT,
        "images/figure.png": IMAGE,
        **extra,
    }


BUILD = {
    "PLUGINS": READ_MORE,
    "THEME": "simple",
    "STATIC_PATHS": ["images"],
    "MARKDOWN": {"extensions": ["markdown.extensions.extra"]},
}


def summaries(page: str) -> list[str]:
    """The summaries shown by the simple theme, in order."""
    return re.findall(r"<section>(.*?)</section>", page, re.S)


def resolve(page_path: str, href: str) -> str:
    """The output file a relative ``href`` on ``page_path`` leads to."""
    path = href.split("#", 1)[0]
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page_path), path))
    return target + "/index.html" if path.endswith("/") else target


# --- the marker in every format -----------------------------------------------------


@pytest.fixture
def site(build_site):
    return build_site(site_content(), **BUILD)


def test_markdown_summary_on_index(site):
    first = summaries(site.read("index.html"))[0]
    assert first == (
        '<p>The intro, with a footnote<sup id="fnref:1"><a class="footnote-ref" '
        f'href="{SITEURL}/first-post.html#fn:1">1</a></sup>, a link to '
        f'<a href="{SITEURL}/cjk-long.html">the other post</a>,\n'
        f'an image <img alt="a figure" src="{SITEURL}/images/figure.png" /> and '
        "<em>emphasis</em>.</p>"
        f'<a class="read-more" href="{SITEURL}/first-post.html#more">'
        "点击阅读全文...</a>"
    )


def test_article_page_has_anchor_and_no_marker(site):
    page = site.read("first-post.html")
    assert '<span id="more"></span>' in page
    assert "<!--more-->" not in page
    assert "Below the fold." in page
    assert (
        'class="read-more"' not in page.split("<section")[0] + page.split("</h2>")[-1]
    )
    assert page.count('id="more"') == 1


def test_html_article_marker(site):
    summary = summaries(site.read("index.html"))[1]
    assert summary == (
        '<div class="note"><p>HTML intro <em>still</em></p></div>'
        f'<a class="read-more" href="{SITEURL}/html-post.html#more">点击阅读全文...</a>'
    )
    page = site.read("html-post.html")
    assert '<em>still <span id="more"></span> open</em>' in page
    assert "<pre><!--more--> in code</pre>" in page  # code keeps its text


@pytest.mark.parametrize(
    ("slug", "intro", "rest"),
    [
        ("rst-post", "The reST intro paragraph.", "The reST rest."),
        ("rst-raw-post", "The raw intro.", "The raw rest."),
    ],
)
def test_rest_comment_and_raw_markers(site, slug, intro, rest):
    index = site.read("index.html")
    summary = next(s for s in summaries(index) if intro in s)
    assert rest not in summary
    assert summary.endswith(
        f'<a class="read-more" href="{SITEURL}/{slug}.html#more">点击阅读全文...</a>'
    )
    page = site.read(f"{slug}.html")
    assert '<span id="more"></span>' in page
    assert "more -->" not in page
    assert "<!--more-->" not in page
    assert rest in page


def test_cjk_text_without_marker_is_cut_by_characters(site):
    summary = next(s for s in summaries(site.read("index.html")) if "很长的故事" in s)
    body, link = summary.split('<a class="read-more"')
    assert body.startswith("<p>这是第一段")
    assert body.endswith("…</p>")
    text = body[len("<p>") : -len("…</p>")]
    assert 140 <= len(text) <= 150
    assert "第二段" not in summary
    # no marker: the link leads to the article itself
    assert link == f' href="{SITEURL}/cjk-long.html">点击阅读全文...</a>'


def test_short_cjk_text_is_shown_whole(site):
    summary = next(s for s in summaries(site.read("index.html")) if "五十个字" in s)
    assert "不会出现省略号。</p>" in summary
    assert "…" not in summary
    assert "read-more" not in summary


def test_no_warnings(site):
    assert site.warnings == []


CODE_POST = """Title: Writing the marker
Date: 2024-01-01
Slug: code

Write `<!--more-->` where the summary ends, for example:

```html
<p>Intro</p>
<!--more-->
```

    <!-- more -->

<pre><!--more--> in raw HTML code</pre>

The real one:

<!-- more -->

Rest.
"""


def test_markers_in_markdown_code_are_text(build_site):
    site = build_site({"code.md": CODE_POST}, **BUILD)
    summary = summaries(site.read("index.html"))[0]
    assert summary.count("&lt;!--more--&gt;") == 2
    assert "&lt;!-- more --&gt;" in summary
    assert "<pre><!--more--> in raw HTML code</pre>" in summary
    assert "The real one:" in summary
    assert "Rest." not in summary
    page = site.read("code.html")
    assert page.count('<span id="more"></span>') == 1
    assert page.index("The real one:") < page.index('<span id="more">')


# --- URLs: sub-path SITEURL, RELATIVE_URLS, feeds ------------------------------------


def test_sub_path_siteurl(build_site):
    site = build_site(site_content(), **BUILD, SITEURL="https://host.test/blog")
    first = summaries(site.read("index.html"))[0]
    assert 'href="https://host.test/blog/first-post.html#fn:1"' in first
    assert 'href="https://host.test/blog/cjk-long.html"' in first
    assert 'src="https://host.test/blog/images/figure.png"' in first
    assert first.endswith(
        '<a class="read-more" href="https://host.test/blog/first-post.html#more">'
        "点击阅读全文...</a>"
    )


RELATIVE = {
    **BUILD,
    "RELATIVE_URLS": True,
    "DEFAULT_PAGINATION": 2,
    "PAGINATION_PATTERNS": [
        (1, "{url}", "{save_as}"),
        (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
    ],
    "ARTICLE_URL": "archives/{slug}/",
    "ARTICLE_SAVE_AS": "archives/{slug}/index.html",
    "TAG_URL": "tag/{slug}/",
    "TAG_SAVE_AS": "tag/{slug}/index.html",
}


def test_relative_urls_at_every_depth(build_site):
    site = build_site(site_content(), **RELATIVE)
    checked = 0
    for name in site.files():
        if not name.endswith(".html"):
            continue
        page = site.read(name)
        for summary in summaries(page):
            links = re.findall(r'(?:href|src)="([^"]*)"', summary)
            for href in links:
                assert not href.startswith(("http", "/")), (name, href)
                assert site.exists(resolve(name, href)), (name, href)
                checked += 1
            read_more_links = LINK.findall(summary)
            for href, _text in read_more_links:
                assert resolve(name, href).startswith("archives/")
    assert checked > 20
    # the same article reached from three depths
    assert "./archives/first-post/#more" in site.read("index.html")
    assert "../../archives/rst-post/#more" in site.read("page/2/index.html")
    assert "../../../../archives/rst-post/#more" in site.read(
        "category/misc/page/2/index.html"
    )
    assert "../../archives/first-post/#more" in site.read("tag/maths/index.html")


def test_relative_urls_feeds_stay_absolute(build_site):
    site = build_site(
        site_content(),
        **RELATIVE,
        FEED_ALL_ATOM="feeds/all.atom.xml",
        FEED_ALL_RSS="feeds/all.rss.xml",
        RSS_FEED_SUMMARY_ONLY=True,
    )
    atom = ElementTree.fromstring(site.read("feeds/all.atom.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    # Atom leaves the summary out when it equals the content (short posts)
    atom_summaries = {
        entry.find("a:title", ns).text: entry.find("a:summary", ns).text
        for entry in atom.findall("a:entry", ns)
        if entry.find("a:summary", ns) is not None
    }
    assert "短文" not in atom_summaries
    first = atom_summaries["First post"]
    assert first.endswith(
        f'<a class="read-more" href="{SITEURL}/archives/first-post/#more">'
        "点击阅读全文...</a>"
    )
    assert f'href="{SITEURL}/archives/first-post/#fn:1"' in first
    assert f'src="{SITEURL}/images/figure.png"' in first
    assert (
        f'href="{SITEURL}/archives/cjk-long/">点击阅读全文'
        in (atom_summaries["很长的中文文章"])
    )
    rss = ElementTree.fromstring(site.read("feeds/all.rss.xml"))
    descriptions = [item.find("description").text for item in rss.iter("item")]
    assert any(
        d.endswith(f'href="{SITEURL}/archives/html-post/#more">点击阅读全文...</a>')
        for d in descriptions
    )
    for description in descriptions:
        for href in re.findall(r'(?:href|src)="([^"]*)"', description):
            assert href.startswith(SITEURL), href


# --- settings ----------------------------------------------------------------------


def test_english_site_default_text(build_site):
    site = build_site({"first-post.md": MD_POST}, **BUILD, DEFAULT_LANG="en")
    assert LINK.findall(site.read("index.html")) == [
        (f"{SITEURL}/first-post.html#more", "Read more…")
    ]


def test_custom_text_marker_and_no_link(build_site):
    post = MD_POST.replace("<!--more-->", "<!-- 摘要结束 -->")
    site = build_site(
        {"first-post.md": post},
        **BUILD,
        READ_MORE_MARKER="<!--摘要结束-->",
        READ_MORE_TEXT="继续阅读 &raquo;",
    )
    summary = summaries(site.read("index.html"))[0]
    assert "Below the fold" not in summary
    assert summary.endswith(
        f'<a class="read-more" href="{SITEURL}/first-post.html#more">'
        "继续阅读 &raquo;</a>"
    )
    assert '<span id="more"></span>' in site.read("first-post.html")

    quiet = build_site(
        {"first-post.md": post},
        **BUILD,
        READ_MORE_MARKER="<!--摘要结束-->",
        READ_MORE_LINK=False,
    )
    summary = summaries(quiet.read("index.html"))[0]
    assert "Below the fold" not in summary
    assert "read-more" not in summary
    assert summary.endswith("<em>emphasis</em>.</p>")


def test_cjk_length_setting(build_site):
    site = build_site({"cjk-long.md": CJK_LONG}, **BUILD, READ_MORE_CJK_LENGTH=20)
    summary = summaries(site.read("index.html"))[0]
    assert summary.startswith("<p>这是第一段，讲一个很长的故事，一直讲下去…</p>")
    off = build_site({"cjk-long.md": CJK_LONG}, **BUILD, READ_MORE_CJK_LENGTH=None)
    plain = build_site({"cjk-long.md": CJK_LONG}, **{**BUILD, "PLUGINS": []})
    assert off.files() == plain.files()


def test_marker_before_any_text_warns(build_site):
    post = "Title: Empty\nDate: 2024-01-01\n\n<!--more-->\n\nAll of it.\n"
    site = build_site({"empty.md": post}, **BUILD)
    assert any("empty.md" in w and "summary is empty" in w for w in site.warnings)
    assert summaries(site.read("index.html"))[0] == (
        f'<a class="read-more" href="{SITEURL}/empty.html#more">点击阅读全文...</a>'
    )


# --- Summary metadata --------------------------------------------------------------


def test_author_summary_wins_and_gets_the_link(build_site):
    post = MD_POST.replace(
        "Slug: first-post",
        "Slug: first-post\nSummary: My own [summary]({filename}b.md).",
    )
    other = "Title: B\nDate: 2020-01-01\n\nb\n"
    site = build_site({"first-post.md": post, "b.md": other}, **RELATIVE)
    index = site.read("index.html")
    assert (
        '<p>My own <a href="./archives/b/">summary</a>.</p>'
        '<a class="read-more" href="./archives/first-post/#more">点击阅读全文...</a>'
    ) in index
    assert "The intro" not in index
    tag = site.read("tag/maths/index.html")
    assert '<a href="../../archives/b/">summary</a>' in tag


def test_author_summary_without_marker_is_left_alone(build_site):
    post = "Title: Own\nDate: 2024-01-01\nSummary: Just mine.\n\n" + "word " * 80
    plain = build_site({"own.md": post}, **{**BUILD, "PLUGINS": []}, DEFAULT_LANG="en")
    site = build_site({"own.md": post}, **BUILD, DEFAULT_LANG="en")
    assert site.files() == plain.files()


def test_author_summary_of_long_cjk_text_gets_the_link(build_site):
    post = CJK_LONG.replace("Tags: maths", "Tags: maths\nSummary: 作者自己的摘要。")
    site = build_site({"cjk-long.md": post}, **BUILD)
    assert summaries(site.read("index.html"))[0] == (
        "<p>作者自己的摘要。</p>"
        f'<a class="read-more" href="{SITEURL}/cjk-long.html">点击阅读全文...</a>'
    )


# --- equation references and footnotes ------------------------------------------------

EQREF_POST = """<html><head><title>Equations</title>
<meta name="date" content="2024-01-01" /><meta name="slug" content="eqs" /></head>
<body>
<p>See <a class="eqref" href="#eq-eqs-1">(1)</a>
and <a class="eqref" href="#eq-eqs-2">(2)</a>.</p>
<div id="eq-eqs-1">\\begin{equation}a=b\\tag{1}\\end{equation}</div>
<!--more-->
<div id="eq-eqs-2">\\begin{equation}c=d\\tag{2}\\end{equation}</div>
<p>Again <a class="eqref" href="#eq-eqs-1">(1)</a>.</p>
</body></html>
"""


@pytest.mark.parametrize("relative", [False, True])
def test_references_below_the_fold_lead_into_the_article(build_site, relative):
    site = build_site({"eqs.html": EQREF_POST}, **BUILD, RELATIVE_URLS=relative)
    summary = summaries(site.read("index.html"))[0]
    base = "." if relative else SITEURL
    assert '<a class="eqref" href="#eq-eqs-1">(1)</a>' in summary
    assert f'<a class="eqref" href="{base}/eqs.html#eq-eqs-2">(2)</a>' in summary
    assert "\\tag{1}" in summary
    assert "\\tag{2}" not in summary
    page = site.read("eqs.html")
    assert 'href="#eq-eqs-2"' in page  # the article itself is untouched


# --- every kind of content ---------------------------------------------------------

PROBE = (
    '{% extends "!simple/NAME.html" %}{% block content %}{{ super() }}'
    '<div id="probe" data-has-more="{{ OBJ.has_more }}">{{ OBJ.summary }}</div>'
    "{% endblock %}"
)


@pytest.fixture
def probe_theme(tmp_path: Path) -> str:
    folder = tmp_path / "probe"
    folder.mkdir()
    for name, obj in (("article", "article"), ("page", "page")):
        text = PROBE.replace("NAME", name).replace("OBJ", obj)
        (folder / f"{name}.html").write_text(text, encoding="utf-8")
    return str(folder)


def probe(site, path: str) -> tuple[str, str]:
    match = re.search(
        r'<div id="probe" data-has-more="(\w+)">(.*?)</div>\s*(?:</|$)',
        site.read(path),
        re.S,
    )
    return match.group(1), match.group(2)


def post(title: str, extra: str = "", lang: str = "") -> str:
    slug = title.lower().replace(" ", "-")
    meta = f"Title: {title}\nDate: 2024-01-01\nSlug: {slug}\n{extra}"
    if lang:
        meta += f"Lang: {lang}\n"
    return meta + f"\n{title} above.\n\n<!--more-->\n\n{title} below.\n"


def test_drafts_hidden_pages_translations(build_site, probe_theme):
    content = {
        "article.md": post("Article"),
        "article-en.md": post("Article", lang="en").replace(
            "Article above", "English above"
        ),
        "draft.md": post("Draft", "Status: draft\n"),
        "hidden.md": post("Hidden", "Status: hidden\n"),
        "pages/page.md": post("Page"),
        "pages/hidden-page.md": post("Hidden page", "Status: hidden\n"),
        "pages/draft-page.md": post("Draft page", "Status: draft\n"),
        "plain.md": "Title: Plain\nDate: 2024-01-01\n\nShort English text.\n",
    }
    site = build_site(content, **BUILD, THEME_TEMPLATES_OVERRIDES=[probe_theme])
    outputs = {
        "article.html": "Article",
        "article-en.html": "English",
        "drafts/draft.html": "Draft",
        "hidden.html": "Hidden",
        "pages/page.html": "Page",
        "pages/hidden-page.html": "Hidden page",
        "drafts/pages/draft-page.html": "Draft page",
    }
    for path, title in outputs.items():
        has_more, summary = probe(site, path)
        assert has_more == "True", path
        assert summary.startswith(f"<p>{title} above.</p>"), (path, summary)
        assert "below" not in summary, path
        href = LINK.search(summary).group(1)
        assert href == f"{SITEURL}/{path}#more"
        assert '<span id="more"></span>' in site.read(path), path
    assert "English above" in site.read("article-en.html")
    assert probe(site, "plain.html") == ("False", "<p>Short English text.</p>")
    assert site.warnings == []


def test_has_more_false_when_nothing_follows(build_site, probe_theme):
    content = {"end.md": "Title: End\nDate: 2024-01-01\n\nAll of it.\n\n<!--more-->\n"}
    site = build_site(content, **BUILD, THEME_TEMPLATES_OVERRIDES=[probe_theme])
    assert probe(site, "end.html") == ("False", "<p>All of it.</p>")


def test_has_more_for_pelican_summaries(build_site, probe_theme):
    long_post = "Title: Long\nDate: 2024-01-01\n\n" + "word " * 60 + "\n"
    site = build_site(
        {"long.md": long_post}, **BUILD, THEME_TEMPLATES_OVERRIDES=[probe_theme]
    )
    has_more, summary = probe(site, "long.html")
    assert has_more == "True"
    assert summary.endswith("…</p>")  # Pelican's own summary, untouched
    assert "read-more" not in summary


# --- built-in themes -------------------------------------------------------------


def notmyidea_entries(site) -> list[str]:
    """The list entries of notmyidea's first index page (not the featured post)."""
    featured, others = site.read("index.html").split('<section id="content"', 1)
    # notmyidea shows the newest post in full on page 1: no summary, no link
    assert "Below the fold." in featured
    assert '<span id="more"></span>' in featured
    assert "read-more" not in featured
    assert "Below the fold." not in others
    return re.findall(
        r'<div class="entry-content">(.*?)</div><!-- /.entry-content -->', others, re.S
    )


def test_notmyidea_index_has_one_link_per_summary(build_site):
    """notmyidea prints its own "read more" after each summary: the bundle sees
    it in the theme's index.html and adds none."""
    site = build_site(site_content(), **{**BUILD, "THEME": "notmyidea"})
    entries = notmyidea_entries(site)
    assert len(entries) == 5
    for entry in entries:
        assert "read-more" not in entry
        assert entry.count('class="readmore"') == 1
    html_post = next(e for e in entries if "html-post.html" in e)
    assert "HTML intro <em>still</em>" in html_post
    assert site.warnings == []


def test_read_more_link_true_adds_the_link_anyway(build_site):
    site = build_site(
        site_content(), **{**BUILD, "THEME": "notmyidea"}, READ_MORE_LINK=True
    )
    entries = notmyidea_entries(site)
    with_link = [e for e in entries if 'class="read-more"' in e]
    assert len(with_link) == 4  # the short CJK post is shown whole
    assert any(
        f'<a class="read-more" href="{SITEURL}/html-post.html#more">点击阅读全文...</a>'
        in e
        for e in with_link
    )
    for entry in with_link:
        assert entry.index('class="read-more"') < entry.index('class="readmore"')


def test_flex_style_theme_has_one_link_per_summary(build_site):
    theme = Path(__file__).parent / "themes" / "flex_style"
    site = build_site(site_content(), **{**BUILD, "THEME": str(theme)})
    items = re.findall(r"<article>(.*?)</article>", site.read("index.html"), re.S)
    assert len(items) == 6
    cut = [item for item in items if "Continue reading" in item]
    assert len(cut) == 5  # the short CJK post is the whole article
    for item in cut:
        assert "read-more" not in item
        assert item.count("Continue reading") == 1


def test_pelican_read_more_settings(build_site):
    """pelican-read-more's READ_MORE_LINK is the link's text, and its
    READ_MORE_LINK_FORMAT ("/{url}") the link."""
    site = build_site(
        {"first-post.md": MD_POST, "cjk-long.md": CJK_LONG, "images/figure.png": IMAGE},
        **BUILD,
        RELATIVE_URLS=True,
        READ_MORE_LINK="<span>continue</span>",
        READ_MORE_LINK_FORMAT='<a class="more" href="/{url}">{text}</a>',
    )
    assert site.warnings == []
    summary = summaries(site.read("index.html"))[0]
    assert summary.endswith(
        '<a class="more" href="./first-post.html#more"><span>continue</span></a>'
    )
    summary = summaries(site.read("tag/maths.html"))[0]
    assert summary.endswith(
        '<a class="more" href="../first-post.html#more"><span>continue</span></a>'
    )


def test_read_more_settings_the_bundle_cannot_use_warn(build_site):
    site = build_site(
        {"first-post.md": MD_POST, "cjk-long.md": CJK_LONG, "images/figure.png": IMAGE},
        **BUILD,
        READ_MORE_LINK=["no"],
        READ_MORE_LINK_FORMAT="<a>{text}</a>",
    )
    assert len(site.warnings) == 2, site.warnings
    assert site.warnings[0].startswith("READ_MORE_LINK = ['no'] is not")
    assert site.warnings[1].startswith("READ_MORE_LINK_FORMAT = '<a>{text}</a>' is")
    link = f'<a class="read-more" href="{SITEURL}/first-post.html#more">'
    assert summaries(site.read("index.html"))[0].endswith(link + "点击阅读全文...</a>")


def test_simple_index_every_post_summarised(build_site):
    site = build_site(site_content(), **BUILD)
    shown = summaries(site.read("index.html"))
    assert len(shown) == 6
    assert sum('class="read-more"' in s for s in shown) == 5


# --- content cache and inertness ---------------------------------------------------


@pytest.mark.parametrize("relative", [False, True])
def test_cache_gives_the_same_bytes(build_site, tmp_path, relative):
    content = site_content(
        **{
            "own.md": post("Own", "Summary: The author's summary.\n"),
            "eqs.html": EQREF_POST,
        }
    )
    cache = {
        **BUILD,
        "RELATIVE_URLS": relative,
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        "CACHE_PATH": str(tmp_path / "shared-cache"),
        "FEED_ALL_ATOM": "feeds/all.atom.xml",
    }
    clean = build_site(
        content, **{**cache, "CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False}
    )
    first = build_site(content, **cache)
    assert any((tmp_path / "shared-cache").iterdir())
    second = build_site(first.content, **cache)
    assert second.files() == first.files() == clean.files()
    assert "The author&#39;s summary." in second.read("index.html") or (
        "The author's summary." in second.read("index.html")
    )


def test_inert_without_markers_or_cjk(build_site):
    english = {
        "a.md": "Title: A\nDate: 2024-01-01\nTags: x\n\n" + "Plain words here. " * 30,
        "b.md": "Title: B\nDate: 2024-01-02\nSummary: Own.\n\n[Link]({filename}a.md)",
        "c.html": "<html><head><title>C</title><meta name='date' content='2024-01-03'>"
        "</head><body><p>Some <!-- a comment --> HTML.</p></body></html>",
        "pages/p.md": "Title: P\n\nA page.",
    }
    for theme in ("notmyidea", "simple"):
        for relative in (False, True):
            settings = {
                "THEME": theme,
                "RELATIVE_URLS": relative,
                "DEFAULT_LANG": "en",
                "SUMMARY_MAX_LENGTH": 10,
                "FEED_ALL_ATOM": "feeds/all.atom.xml",
            }
            plain = build_site(english, PLUGINS=[], **settings)
            bundled = build_site(english, PLUGINS=READ_MORE, **settings)
            assert plain.files() == bundled.files(), (theme, relative)


# --- speed -------------------------------------------------------------------------


def article_of(size: int) -> str:
    paragraph = (
        '<p>设 $x_i\\in\\mathbb{R}^n$，我们考虑 <a href="#eq-s-3">(3)</a> 的'
        "<em>一个</em>推广，并给出 <code>softmax</code> 的新形式。</p>\n"
    )
    body = paragraph * (size // len(paragraph.encode()) + 1)
    half = len(body) // 2
    cut = body.index("\n", half) + 1
    return body[:cut] + "<!--more-->\n" + body[cut:]


def best_ms(work, number: int = 20, repeat: int = 7) -> float:
    """The best time of one call of ``work``, in ms (least disturbed by load)."""
    return min(timeit.repeat(work, number=number, repeat=repeat)) / number * 1000


def test_speed_of_marker_split_and_summary():
    """read_more's work on an 8 KB article costs a fraction of one parse of it."""
    from bs4 import BeautifulSoup

    html = article_of(8 * 1024)
    options = read_more.Options.from_settings({"DEFAULT_LANG": "zh"})

    def work():
        split = read_more.split_at_marker(html, options.marker)
        read_more.link_fragments_to(split.summary, read_more.URL_PLACEHOLDER)

    ours = best_ms(work)
    soup = best_ms(lambda: BeautifulSoup(html, "html.parser"))
    assert ours < soup / 3, (ours, soup)


def read_early(generator):
    """Another plugin reading content and summaries before read_more runs."""
    for article in generator.articles:
        assert article.content
        assert article.summary


def test_content_read_before_the_cut_is_not_stale(build_site):
    from pelican import signals

    signals.article_generator_pretaxonomy.connect(read_early)
    try:
        site = build_site(site_content(), **BUILD)
    finally:
        signals.article_generator_pretaxonomy.disconnect(read_early)
    page = site.read("first-post.html")
    assert "<!--more-->" not in page
    assert '<span id="more"></span>' in page
    assert summaries(site.read("index.html"))[0].endswith("点击阅读全文...</a>")


def test_no_placeholder_leaks(site):
    for name, data in site.files().items():
        assert b"\x00" not in data, name
        assert b"read-more-url" not in data, name


# --- content objects built without a site ------------------------------------------


def standalone_page(text: str, lang: str = "en", **settings_overrides):
    """A Page outside any build, with the context Pelican would give it, and a
    generator-like object holding it: ``(page, context, generator)``."""
    from types import SimpleNamespace

    from pelican.contents import Page
    from pelican.settings import DEFAULT_CONFIG

    settings = {
        **DEFAULT_CONFIG,
        "SITEURL": SITEURL,
        "DEFAULT_LANG": lang,
        "READ_MORE_LINK": True,  # no theme renders it (the default, notmyidea,
        # would make the link the theme's)
        **settings_overrides,
    }
    context = {"localsiteurl": SITEURL, "generated_content": {}, "static_content": {}}
    page = Page(text, {"title": "P", "slug": "p"}, settings, "p.md", context)
    return page, context, SimpleNamespace(settings=settings, pages=[page])


# --- another plugin rewriting _content after the cut ---------------------------------


def test_content_rewritten_after_the_cut_is_cut_again():
    """Receivers of one signal run in no fixed order: when another plugin
    rewrites a page from a copy that still holds the marker after read_more's
    ``page_generator_finalized`` (equations does, for cached pages), read_more
    cuts it again at ``all_generators_finalized``."""
    pristine = "<p>Old (1).</p>\n<!--more-->\n<p>Rest.</p>"
    page, _, generator = standalone_page(pristine)
    read_more.finalize_pages(generator)
    assert page.summary.startswith("<p>Old (1).</p>")
    page._content = pristine.replace("(1)", "(2)")  # the other plugin, later
    read_more.cut_rewritten_again([generator])
    assert page._content == '<p>Old (2).</p>\n<span id="more"></span>\n<p>Rest.</p>'
    assert page.content == page._content
    assert page.summary == (
        f'<p>Old (2).</p><a class="read-more" href="{SITEURL}/pages/p.html#more">'
        "Read more…</a>"
    )
    untouched = page.get_summary
    read_more.cut_rewritten_again([generator])  # nothing changed: nothing done
    assert page.get_summary is untouched
    # post-processed without the marker (e.g. wrapped): the cut summary stays
    page._content = f"<div>{page._content}</div>"
    read_more.cut_rewritten_again([generator])
    assert page.get_summary is untouched


def test_cjk_content_rewritten_after_the_plan_is_planned_again():
    text = "<p>" + "旧的公式编号（1）。" * 30 + "</p>"
    page, _, generator = standalone_page(text, lang="zh")
    read_more.finalize_pages(generator)
    assert page.summary.startswith("<p>旧的公式编号（1）")
    page._content = text.replace("（1）", "（2）")
    read_more.cut_rewritten_again([generator])
    assert page.summary.startswith("<p>旧的公式编号（2）")
    assert page.summary.endswith(f'href="{SITEURL}/pages/p.html">点击阅读全文...</a>')
    # rewritten to a short English text: Pelican's summary after all
    page._content = "<p>Short English text now.</p>"
    read_more.cut_rewritten_again([generator])
    assert "get_summary" not in vars(page)
    assert page.has_more is False
    assert page.summary == "<p>Short English text now.</p>"


@pytest.mark.parametrize("relative", [False, True])
def test_summary_from_article_html_equals_summary_made_alone(relative):
    """A summary cut from the article HTML Pelican memoized for a siteurl is the
    one made by resolving the summary's own links."""
    from types import SimpleNamespace

    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    settings = {
        **DEFAULT_CONFIG,
        "SITEURL": SITEURL,
        "RELATIVE_URLS": relative,
        "READ_MORE_LINK": True,
    }
    context = {"localsiteurl": SITEURL, "generated_content": {}, "static_content": {}}
    html = (
        '<p>A <a href="{tag}maths">tag</a>, <a href="{category}misc">category</a>,'
        ' <a class="eqref" href="#eq-a-2">(2)</a> <span id="more"></span>'
        ' <a href="{index}">home</a></p>\n<ul>\n<li><a href="{tag}x">x</a>\n'
        "<!--more-->\n<p>rest</p></li><li>y</li></ul>\n<div id='eq-a-2'>2</div>"
    )
    metadata = {"title": "A", "slug": "a", "date": datetime(2024, 1, 1)}
    article = Article(html, metadata, settings, "a.md", context)
    read_more.finalize_articles(SimpleNamespace(settings=settings, articles=[article]))
    summary = article.get_summary
    assert summary.split is not None
    for siteurl in ["", ".", "../..", SITEURL] if relative else ["", SITEURL]:
        alone = summary.render(siteurl)
        assert isinstance(alone, read_more.Provisional)
        article.get_content(siteurl)  # Pelican memoizes the article's HTML
        assert isinstance(summary.render(siteurl), read_more.SummarySlice)
        assert summary(siteurl) == alone
    assert "{tag}" not in alone
    assert alone.endswith(f'href="{SITEURL}/a.html#more">Read more…</a>')


def test_kept_summary_is_a_slice_of_the_article_html_pelican_memoized():
    """A cut summary is kept as a slice of the article's HTML (which Pelican's
    memo holds anyway) and where the article's URL goes in links that lead
    below the fold, not as a copy of its paragraphs."""
    paragraph = "<p>" + "Long first paragraph. " * 40 + "</p>"
    above = f'{paragraph}\n<p id="x"><a href="#x">x</a></p>\n<!--more-->\n<p>.</p>'
    below = f'{paragraph}\n<p><a href="#y">y</a></p>\n<!--more-->\n<p id="y">.</p>'
    for text, links in [(above, 0), (below, 1)]:
        page, _, generator = standalone_page(text)
        read_more.finalize_pages(generator)
        siteurl = page.get_siteurl()
        alone = page.summary  # a feed asks before Pelican memoized the page
        assert isinstance(page.get_summary._summary, read_more.Provisional)
        full = page.get_content(siteurl)  # Pelican memoizes the page's HTML
        assert page.summary == page.summary == alone
        assert type(page.summary) is str
        kept = page.get_summary._summary
        assert isinstance(kept, read_more.SummarySlice)
        assert kept.html is full
        assert len(kept.links) == links
        assert "paragraph" not in kept.closing  # the paragraphs are not copied
        assert kept.text().startswith(paragraph)
        assert kept.url == f"{SITEURL}/pages/p.html"
        link = f'href="{SITEURL}/pages/p.html#more">Read more…</a>'
        assert page.summary.endswith(link)
    assert f'href="{SITEURL}/pages/p.html#y">y</a>' in page.summary


def test_summary_is_not_provisional_when_no_memoized_html_can_come():
    """Build-time typesetting gives a content object its own ``get_content``,
    which Pelican does not memoize: the summary is kept as made, not marked
    to be made again (and looked up) at every page that shows it."""
    page, _, generator = standalone_page("<p>Above.</p>\n<!--more-->\n<p>Below.</p>")
    read_more.finalize_pages(generator)
    page.get_content = lambda siteurl: page._content  # not memoized
    summary = page.summary
    kept = page.get_summary._summary
    assert type(kept) is str
    assert page.summary == summary
    assert summary.startswith("<p>Above.</p>")


# --- with the equations plugin -----------------------------------------------------

EQ_POST = """Title: Eq post
Date: 2024-01-02
Slug: eqpost

First $x$ and
\\begin{equation}a=b\\label{eq:one}\\end{equation}
See \\eqref{eq:one} and \\eqref{eq:two}.

<!--more-->

\\begin{equation}c=d\\label{eq:two}\\end{equation}
Again \\eqref{eq:one}.
"""

EQ_EARLIER = """Title: Earlier
Date: 2024-01-01
Slug: earlier

\\begin{equation}e=f\\label{eq:e}\\end{equation}
\\begin{equation}g=h\\label{eq:g}\\end{equation}
"""

EQ_PAGE = """Title: A page
Slug: apage

Page intro cites \\eqref{eqpost/eq:two} and \\eqref{eq:p}.

<!--more-->

\\begin{equation}p\\label{eq:p}\\end{equation}
"""

EQUATIONS = ["pelican_sujianlin.equations", "pelican_sujianlin.read_more"]


def test_equation_numbers_in_summary_equal_the_article(build_site):
    site = build_site(
        {"eqpost.md": EQ_POST, "earlier.md": EQ_EARLIER},
        **{**BUILD, "PLUGINS": EQUATIONS},
    )
    page = site.read("eqpost.html")
    summary = summaries(site.read("index.html"))[0]
    assert "\\tag{1}" in page
    assert "\\tag{2}" in page
    assert "\\tag{1}" in summary
    assert "\\tag{2}" not in summary
    # the reference above the fold to equation (1) stays on the index page,
    # the one to (2), below the fold, leads into the article
    assert '<a class="eqref" href="#eq-eqpost-1">(1)</a>' in summary
    assert (
        f'<a class="eqref" href="{SITEURL}/eqpost.html#eq-eqpost-2">(2)</a>' in summary
    )
    assert 'id="eq-eqpost-2"' in page
    assert site.warnings == []


def test_equations_with_cache_and_pages(build_site, tmp_path):
    content = {
        "eqpost.md": EQ_POST,
        "earlier.md": EQ_EARLIER,
        "pages/apage.md": EQ_PAGE,
    }
    settings = {
        **BUILD,
        "PLUGINS": EQUATIONS,
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        "CACHE_PATH": str(tmp_path / "eq-cache"),
        "FEED_ALL_ATOM": "feeds/all.atom.xml",
    }
    first = build_site(content, **settings)
    second = build_site(first.content, **settings)
    assert second.files() == first.files()
    for site in (first, second):
        page = site.read("pages/apage.html")
        assert "<!--more-->" not in page
        assert '<span id="more"></span>' in page
        assert f'href="{SITEURL}/eqpost.html#eq-eqpost-2">(2)</a>' in page
    atom = second.read("feeds/all.atom.xml")
    assert f'href="{SITEURL}/eqpost.html#eq-eqpost-2"&gt;(2)&lt;/a&gt;' in atom


# --- the example site and its theme --------------------------------------------------


def build_example(folder: Path, conf: str, output: Path):
    from conftest import Site, run_pelican
    from pelican.settings import read_settings

    settings = dict(read_settings(str(folder / conf)))
    settings.update(
        PATH=str(folder / "content"),
        OUTPUT_PATH=str(output),
        CACHE_PATH=str(output.parent / "cache"),
        CACHE_CONTENT=False,
        LOAD_CONTENT_CACHE=False,
    )
    return Site(folder / "content", output, settings, run_pelican(settings))


MARKED = ("diffusion-models-1", "spectral-norm", "logsumexp")


def test_example_theme_shows_summaries_with_links(example_site_copy, tmp_path):
    site = build_example(example_site_copy, "pelicanconf.py", tmp_path / "out")
    assert site.warnings == []
    lists = [
        name
        for name in site.files()
        if name == "index.html"
        or re.match(r"(page|tag|category|author)/.*index\.html$", name)
    ]
    links = 0
    for name in lists:
        for href, text in LINK.findall(site.read(name)):
            assert text == "点击阅读全文..."
            assert not href.startswith(("http", "/")), (name, href)  # RELATIVE_URLS
            assert site.exists(resolve(name, href)), (name, href)
            links += 1
    assert links >= 10
    for slug in MARKED:
        page = site.read(f"archives/{slug}/index.html")
        assert page.count('<span id="more"></span>') == 1, slug
        assert not re.search(r"<!--\s*more\s*-->", page), slug
        assert 'class="read-more"' not in page, slug


def test_example_site_feeds_have_absolute_links(example_site_copy, tmp_path):
    site = build_example(example_site_copy, "publishconf.py", tmp_path / "out")
    siteurl = site.settings["SITEURL"]
    feeds = [name for name in site.files() if name.endswith(".xml")]
    assert feeds
    found = 0
    for name in feeds:
        for href in re.findall(r'class="read-more" href="([^"]*)"', site.read(name)):
            assert href.startswith(siteurl + "/archives/"), (name, href)
            found += 1
        text = site.read(name).replace("&lt;", "<").replace("&gt;", ">")
        text = text.replace("&quot;", '"')
        for href in re.findall(r'class="read-more" href="([^"]*)"', text):
            assert href.startswith(siteurl + "/archives/"), (name, href)
            found += 1
    assert found >= 3


def test_plans_live_in_the_build_context_until_checked():
    """What each summary was planned from is build state, not a content
    attribute: it leaves the context once ``all_generators_finalized`` has
    checked it."""
    page, context, generator = standalone_page(
        "<p>Before.</p>\n<!--more-->\n<p>After.</p>"
    )
    read_more.finalize_pages(generator)
    assert set(context[read_more.PLANS]) == {id(page)}
    assert not any("read_more" in name for name in vars(page))
    read_more.cut_rewritten_again([generator])
    assert read_more.PLANS not in context


def test_summary_kept_per_siteurl(monkeypatch):
    text = '<p>See <a href="{filename}/q.md">q</a>.</p>\n<!--more-->\n<p>After.</p>'
    page, _, generator = standalone_page(text)
    read_more.add_read_more(page, read_more.Options.from_settings(generator.settings))
    rendered = []
    render = read_more.ReadMoreSummary.render

    def counted(summary, siteurl):
        rendered.append(siteurl)
        return render(summary, siteurl)

    monkeypatch.setattr(read_more.ReadMoreSummary, "render", counted)
    site, feed = page.get_summary(SITEURL), page.get_summary("https://feeds.test")
    assert site.endswith(f'href="{SITEURL}/pages/p.html#more">Read more…</a>')
    assert feed.endswith('href="https://feeds.test/pages/p.html#more">Read more…</a>')
    assert page.get_summary(SITEURL) == site
    assert page.get_summary("https://feeds.test") == feed
    assert rendered == [SITEURL, "https://feeds.test"]
    page.get_content(SITEURL)  # the page's HTML: the summary is cut from it
    assert page.get_summary(SITEURL) == page.get_summary(SITEURL) == site
    assert page.get_summary("https://feeds.test") == feed
    assert rendered == [SITEURL, "https://feeds.test", SITEURL]


def test_theme_templates_are_read_once_per_build(build_site, monkeypatch):
    calls = []
    scan = read_more.theme_read_more_template

    def counted(folders):
        calls.append(list(folders))
        return scan(folders)

    monkeypatch.setattr(read_more, "theme_read_more_template", counted)
    content = {"a.md": post("Article"), "pages/p.md": post("Page")}
    build_site(content, **{**BUILD, "THEME": "notmyidea"})
    assert len(calls) == 1  # for the articles and the pages
    assert calls[0][-1].parts[-2:] == ("notmyidea", "templates")
