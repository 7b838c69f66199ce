"""The bundle beside plugins people already run, installed from PyPI.

``pelican-i18n-subsites`` builds an ``en`` subsite inside the main (``zh``)
build, in the same process, with changed settings (SITEURL, OUTPUT_PATH,
DEFAULT_LANG): each site's pages must link to that site's own files.
``pelican-sitemap``, ``pelican-neighbors`` and ``pelican-related-posts`` read
the articles' URLs and summaries after the bundle has pinned and rewritten
them. Every test reads the files a real build wrote.
"""

from __future__ import annotations

import importlib
import json
import posixpath
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import (
    BASE_SETTINGS,
    EXAMPLE_SITE,
    IN_CI,
    Site,
    run_pelican,
    write_content,
)

SITEURL = BASE_SETTINGS["SITEURL"]
I18N = "pelican.plugins.i18n_subsites"
SITEMAP = "pelican.plugins.sitemap"
NEIGHBORS = "pelican.plugins.neighbors"
RELATED = "pelican.plugins.related_posts"

ZH_PART_1 = r"""Title: 优化器笔记（一）：动量
Date: 2024-03-01
Slug: adam-notes
Lang: zh
Category: 数学
Tags: 优化

动量的更新公式是
\begin{equation}m_t = \beta m_{t-1} + g_t \label{eq:momentum}\end{equation}
这是摘要。

<!--more-->

由式$\eqref{eq:momentum}$可知，平均窗口约为$1/(1-\beta)$步。
"""

EN_PART_1 = r"""Title: Optimizer notes, Part 1: momentum
Date: 2024-03-01
Slug: adam-notes
Lang: en
Category: 数学
Tags: 优化

The momentum update is
\begin{equation}m_t = \beta m_{t-1} + g_t \label{eq:momentum}\end{equation}
This is the summary.

<!--more-->

By $\eqref{eq:momentum}$ the window is about $1/(1-\beta)$ steps.
"""

ZH_PART_2 = r"""Title: 优化器笔记（二）：自适应步长
Date: 2024-03-05
Slug: adam-notes-2
Lang: zh
Category: 数学
Tags: 优化

先写
\begin{equation}v_t = v_{t-1} + g_t^2 \label{eq:v}\end{equation}
再引用上一篇的式$\eqref{adam-notes/eq:momentum}$。

<!--more-->

正文：式$\eqref{eq:v}$。
"""

EN_PART_2 = r"""Title: Optimizer notes, Part 2: adaptive steps
Date: 2024-03-05
Slug: adam-notes-2
Lang: en
Category: 数学
Tags: 优化

First
\begin{equation}v_t = v_{t-1} + g_t^2 \label{eq:v}\end{equation}
then part one's $\eqref{adam-notes/eq:momentum}$.

<!--more-->

Body: $\eqref{eq:v}$.
"""

# No English translation: i18n_subsites shows it on the en site as a draft.
ZH_ONLY = r"""Title: 只有中文的一篇
Date: 2024-02-01
Slug: zh-only
Lang: zh
Category: 杂谈
Tags: 优化

一个公式
\begin{equation}e^{i\pi} + 1 = 0 \label{eq:euler}\end{equation}

<!--more-->

式$\eqref{eq:euler}$之后的正文。
"""

PLAIN = """Title: 没有公式
Date: 2024-01-10
Slug: plain
Lang: zh
Category: 杂谈

没有公式的一篇。
"""

PAGE_ZH = r"""Title: 关于
Slug: about
Lang: zh

页面里也有公式$E = mc^2$。
"""

PAGE_EN = r"""Title: About
Slug: about
Lang: en

A page with math, $E = mc^2$.
"""

COMMENT = """author: 王小舟
date: 2024-03-02 08:50
slug: wang

动量这一段讲得很清楚。
"""

# A service counts each language's pages under its own address.
STATS = {
    "/archives/adam-notes/": 1000,
    "/en/archives/adam-notes/": 50,
    "/archives/adam-notes-2/": 200,
    "/en/archives/adam-notes-2/": 20,
    "/archives/zh-only/": 7,
}

CONTENT = {
    "posts/adam.md": ZH_PART_1,
    "posts/adam-en.md": EN_PART_1,
    "posts/adam2.md": ZH_PART_2,
    "posts/adam2-en.md": EN_PART_2,
    "posts/zh-only.md": ZH_ONLY,
    "posts/plain.md": PLAIN,
    "pages/about.md": PAGE_ZH,
    "pages/about-en.md": PAGE_EN,
    "comments/adam-notes/01-wang.md": COMMENT,
    "stats.json": json.dumps(STATS),
}

# Translations, neighbors, related posts (with their summaries) on the page.
ARTICLE_OVERRIDE = """{% extends "!theme/article.html" %}
{% block content %}
{{ super() }}
<nav id="translations">{% for t in article.translations %}
<a hreflang="{{ t.lang }}" href="{{ SITEURL }}/{{ t.url }}">{{ t.lang }}</a>
{% endfor %}</nav>
<nav id="neighbors">
{% if article.prev_article %}<a rel="prev"
 href="{{ SITEURL }}/{{ article.prev_article.url }}">prev</a>{% endif %}
{% if article.next_article %}<a rel="next"
 href="{{ SITEURL }}/{{ article.next_article.url }}">next</a>{% endif %}
</nav>
<section id="related">{% for post in article.related_posts %}
<div class="related"><a href="{{ SITEURL }}/{{ post.url }}">{{ post.title }}</a>
<div class="related-summary">{{ post.summary }}</div></div>
{% endfor %}</section>
{% endblock %}
"""

URL_SETTINGS = {
    "THEME": str(EXAMPLE_SITE / "theme"),
    "ARTICLE_URL": "archives/{slug}/",
    "ARTICLE_SAVE_AS": "archives/{slug}/index.html",
    "ARTICLE_LANG_URL": "archives/{slug}-{lang}/",
    "ARTICLE_LANG_SAVE_AS": "archives/{slug}-{lang}/index.html",
    "PAGE_URL": "{slug}/",
    "PAGE_SAVE_AS": "{slug}/index.html",
    "PAGE_LANG_URL": "{slug}-{lang}/",
    "PAGE_LANG_SAVE_AS": "{slug}-{lang}/index.html",
    "READER_COUNT_FILE": "stats.json",
    "CITATION_BIB_SAVE_AS": "cite/{slug}.bib",
    "RELATED_POSTS_MAX": 3,
}


def require_plugin(module: str) -> None:
    """Skip (fail under CI) when a plugin of the ``test`` extra is missing."""
    try:
        importlib.import_module(module)
    except ImportError:
        message = f'{module} is not installed (pip install -e ".[test]")'
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def build(tmp_path: Path, plugins: list[str], **overrides) -> Site:
    for module in plugins:
        if module != "pelican_sujianlin":
            require_plugin(module)
    content = tmp_path / "content"
    write_content(content, CONTENT)
    templates = tmp_path / "overrides"
    write_content(templates, {"article.html": ARTICLE_OVERRIDE})
    settings = {
        **BASE_SETTINGS,
        **URL_SETTINGS,
        "PATH": str(content),
        "OUTPUT_PATH": str(tmp_path / "output"),
        "CACHE_PATH": str(tmp_path / "cache"),
        "THEME_TEMPLATES_OVERRIDES": [str(templates)],
        "PLUGINS": plugins,
        **overrides,
    }
    return Site(content, tmp_path / "output", settings, run_pelican(settings))


@pytest.fixture(
    scope="module",
    params=[
        ["pelican_sujianlin", I18N, NEIGHBORS, RELATED],
        [I18N, NEIGHBORS, RELATED, "pelican_sujianlin"],
    ],
    ids=["bundle-first", "bundle-last"],
)
def i18n_site(request, tmp_path_factory) -> Site:
    """The zh site with an en subsite (and neighbors, related posts); Pelican
    connects plugins in the order of PLUGINS, and blinker calls them so."""
    return build(
        tmp_path_factory.mktemp("i18n"),
        request.param,
        I18N_SUBSITES={
            # i18n_subsites keeps the main site's FEED_DOMAIN in subsites.
            "en": {"SITENAME": "Test Spaces", "FEED_DOMAIN": f"{SITEURL}/en"}
        },
    )


@pytest.fixture(scope="module")
def one_site(tmp_path_factory) -> Site:
    """One site, translations included, with sitemap, neighbors, related posts."""
    return build(
        tmp_path_factory.mktemp("plain"),
        ["pelican_sujianlin", SITEMAP, NEIGHBORS, RELATED],
        SITEMAP={"format": "xml"},
    )


# --- reading the output -------------------------------------------------------

LINK = re.compile(r'(?:href|src)="([^"]+)"')


def html_files(site: Site) -> dict[str, str]:
    return {
        p.relative_to(site.output).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(site.output.rglob("*.html"))
    }


def output_file(site: Site, url: str) -> str | None:
    """The output file (relative path) an absolute URL of the site names."""
    path = unquote(urlsplit(url).path)
    site_path = urlsplit(SITEURL).path
    relative = posixpath.normpath(path[len(site_path) :].lstrip("/") or ".")
    for name in (relative, f"{relative}/index.html"):
        if (site.output / name).is_file():
            return name
    return None


def site_links(text: str) -> list[str]:
    return [
        link.replace("&amp;", "&")
        for link in LINK.findall(text)
        if link.startswith(SITEURL)
    ]


# Pelican writes no category, tag or feed for drafts (i18n_subsites shows an
# untranslated article on the other site as a draft): a theme's links to them
# from a draft are Pelican's, not the plugins'.
NOT_FOR_DRAFTS = re.compile(r"/(category|tag|feeds)/")


def broken_links(site: Site, names: list[str] | None = None) -> list[str]:
    """Every link into the site, from the HTML files (or the files ``names``),
    whose file, or #fragment, does not exist."""
    pages = html_files(site)
    sources = pages if names is None else {n: site.read(n) for n in names}
    broken = []
    for name, text in sources.items():
        for link in site_links(text):
            if "/drafts/" in name and NOT_FOR_DRAFTS.search(link):
                continue
            target = output_file(site, link)
            fragment = urlsplit(link).fragment
            if target is None:
                broken.append(f"{name}: {link}")
            elif fragment and f'id="{fragment}"' not in pages.get(target, ""):
                broken.append(f"{name}: {link} (no id {fragment})")
    return broken


def article_links(text: str) -> set[str]:
    return {link for link in site_links(text) if "/archives/" in link}


def section(text: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]* id="{element_id}".*?</\1>', text, re.S)
    assert match, f"no #{element_id}"
    return match.group(0)


def mathjax_scripts(text: str) -> int:
    return text.count('id="MathJax-script"')


def readers(text: str) -> str:
    match = re.search(r'class="readers"[^>]*>([^<]*)<', text)
    assert match, "no reader count"
    return match.group(1)


# --- i18n_subsites ------------------------------------------------------------


def test_i18n_every_link_resolves(i18n_site):
    assert i18n_site.exists("en/archives/adam-notes/index.html")
    assert i18n_site.exists("archives/adam-notes/index.html")
    assert broken_links(i18n_site) == []


def test_i18n_feeds_show_resolved_references(i18n_site):
    """Every feed's equation references are numbered links; a language's own
    feed links only to files that exist. (The all-languages feed also shows
    the other language's posts, as the main site saw them before
    i18n_subsites moved them: see docs/internals.md.)"""
    feeds = sorted(i18n_site.output.rglob("*.atom.xml"))
    assert len(feeds) >= 4
    for feed in feeds:
        text = feed.read_text(encoding="utf-8")
        assert "\ue000" not in text, feed
        assert re.findall(r"eqref[^&]*&gt;([^&]*)&lt;", text) != []
        assert set(re.findall(r"eqref[^&]*&gt;([^&]*)&lt;", text)) == {"(1)"}
    own = ["feeds/all-zh.atom.xml", "en/feeds/all-en.atom.xml"]
    assert all('eqref" href="' in i18n_site.read(name) for name in own)
    assert broken_links(i18n_site, own) == []


def test_i18n_each_language_links_to_its_own_articles(i18n_site):
    """Outside the translation links, zh pages link to zh articles, en to en."""
    for name, text in html_files(i18n_site).items():
        if "/drafts/" in name:
            continue
        without_translations = re.sub(
            r'<nav id="translations">.*?</nav>', "", text, flags=re.S
        )
        links = article_links(without_translations)
        if name.startswith("en/"):
            assert all(link.startswith(f"{SITEURL}/en/") for link in links), name
        else:
            assert not any(link.startswith(f"{SITEURL}/en/") for link in links), name


def test_i18n_translation_links_cross_sites(i18n_site):
    zh = section(i18n_site.read("archives/adam-notes/index.html"), "translations")
    en = section(i18n_site.read("en/archives/adam-notes/index.html"), "translations")
    (to_en,) = site_links(zh)
    (to_zh,) = site_links(en)  # i18n_subsites writes it as en/../archives/...
    assert output_file(i18n_site, to_en) == "en/archives/adam-notes/index.html"
    assert output_file(i18n_site, to_zh) == "archives/adam-notes/index.html"


def test_i18n_equations_are_numbered_per_language(i18n_site):
    """Numbers, ids and cross-article references stay inside each site."""
    for prefix in ("", "en/"):
        part_1 = i18n_site.read(f"{prefix}archives/adam-notes/index.html")
        part_2 = i18n_site.read(f"{prefix}archives/adam-notes-2/index.html")
        assert 'id="eq-adam-notes-1"' in part_1
        assert r"\tag{1}" in part_1 or "(1)" in part_1
        cross = f'{SITEURL}/{prefix}archives/adam-notes/#eq-adam-notes-1"'
        assert cross in part_2
        assert 'id="eq-adam-notes-2-1"' in part_2


def test_i18n_untranslated_post_is_numbered_once_on_the_other_site(i18n_site):
    """i18n_subsites shows zh-only on the en site as a draft it makes anew
    from the numbered HTML: the draft keeps that numbering, once."""
    page = i18n_site.read("en/drafts/zh-only-zh.html")
    draft = page[page.index('<div class="post-content">') : page.index('id="related"')]
    assert draft.count('class="equation"') == 1
    assert draft.count(r"\tag{") == 1
    assert 'id="eq-zh-only-zh-1"' in draft
    assert '<a class="eqref" href="#eq-zh-only-zh-1">(1)</a>' in draft


def test_i18n_read_more_links_point_at_the_language_of_the_list(i18n_site):
    for prefix, text in (("", "点击阅读全文"), ("en/", "Read more")):
        index = i18n_site.read(f"{prefix}index.html")
        more = re.findall(r'<a class="read-more" href="([^"]+)"[^>]*>([^<]*)', index)
        assert {href for href, _ in more} >= {
            f"{SITEURL}/{prefix}archives/adam-notes/#more",
            f"{SITEURL}/{prefix}archives/adam-notes-2/#more",
        }
        assert all(text in label for _, label in more)
        assert "<!--more-->" not in index


def test_i18n_mathjax_once_per_math_page(i18n_site):
    pages = html_files(i18n_site)
    for prefix in ("", "en/"):
        for name in ("archives/adam-notes/index.html", "about/index.html",
                     "index.html"):  # fmt: skip
            assert mathjax_scripts(pages[prefix + name]) == 1, prefix + name
    assert mathjax_scripts(pages["archives/plain/index.html"]) == 0


def test_i18n_series_pages_list_their_own_language(i18n_site):
    zh = i18n_site.read("series/you-hua-qi-bi-ji.html")
    en = i18n_site.read("en/series/optimizer-notes.html")
    assert article_links(zh) >= {
        f"{SITEURL}/archives/adam-notes/",
        f"{SITEURL}/archives/adam-notes-2/",
    }
    assert article_links(en) >= {
        f"{SITEURL}/en/archives/adam-notes/",
        f"{SITEURL}/en/archives/adam-notes-2/",
    }
    assert "优化器笔记（一）：动量" in zh
    assert "Optimizer notes, Part 1: momentum" in en
    assert "Optimizer notes" not in zh
    assert "优化器笔记" not in en


def test_i18n_reader_counts_are_each_languages_own(i18n_site):
    """The stats file has both sites' paths: each page gets its own count, and
    neither site warns about the other's paths."""
    assert readers(i18n_site.read("archives/adam-notes/index.html")) == "1000位读者"
    assert readers(i18n_site.read("en/archives/adam-notes/index.html")) == "50 readers"
    assert readers(i18n_site.read("archives/adam-notes-2/index.html")) == "200位读者"
    assert (
        readers(i18n_site.read("en/archives/adam-notes-2/index.html")) == "20 readers"
    )
    assert [w for w in i18n_site.warnings if "reader_count" in w] == []


def test_i18n_citations_name_each_languages_url(i18n_site):
    zh = i18n_site.read("cite/adam-notes.bib")
    en = i18n_site.read("en/cite/adam-notes.bib")
    assert f"{SITEURL}/archives/adam-notes/}}" in zh
    assert f"{SITEURL}/en/archives/adam-notes/}}" in en
    assert "优化器笔记" in zh
    assert "Optimizer notes" in en


def test_i18n_recent_comments_link_to_the_sites_article(i18n_site):
    for prefix in ("", "en/"):
        widget = section(i18n_site.read(f"{prefix}index.html"), "recent-comments")
        assert f'href="{SITEURL}/{prefix}archives/adam-notes/#comment-wang"' in widget


def test_i18n_bundle_words_follow_each_sites_language(i18n_site):
    """The bundle picks Chinese or English words per build: the subsite's
    settings are the main site's, copied after the bundle read them."""
    zh = i18n_site.read("archives/adam-notes/index.html")
    en = i18n_site.read("en/archives/adam-notes/index.html")
    assert "<h2>最近评论</h2>" in zh
    assert "<h2>Recent comments</h2>" in en
    assert "下载 .bib 文件" in zh
    assert "Download the .bib file" in en
    assert "最近评论" not in en
    assert "下载 .bib" not in en


def test_i18n_neighbors_and_related_stay_in_language(i18n_site):
    zh = i18n_site.read("archives/adam-notes-2/index.html")
    en = i18n_site.read("en/archives/adam-notes-2/index.html")
    assert f'rel="prev"\n href="{SITEURL}/archives/adam-notes/"' in zh
    assert f'rel="prev"\n href="{SITEURL}/en/archives/adam-notes/"' in en
    related = {link.split("#")[0] for link in article_links(section(en, "related"))}
    assert related == {f"{SITEURL}/en/archives/adam-notes/"}


def test_i18n_rebuild_from_the_content_cache_writes_the_same_files(tmp_path):
    """Each site keeps its own content cache (i18n_subsites: CACHE_PATH/en);
    the bundle's numbering kept there serves the right site."""
    settings = {
        "I18N_SUBSITES": {"en": {"FEED_DOMAIN": f"{SITEURL}/en"}},
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
    }
    site = build(tmp_path, ["pelican_sujianlin", I18N], **settings)
    first = site.files()
    assert (tmp_path / "cache" / "en").is_dir()
    assert run_pelican(site.settings) == []  # the same files, untouched
    assert site.files() == first


# --- sitemap, neighbors, related posts on one site ----------------------------


def test_sitemap_lists_existing_pages_at_pinned_urls(one_site):
    assert one_site.warnings == []
    tree = ET.parse(one_site.output / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in tree.getroot().iterfind("s:url/s:loc", ns)]
    assert f"{SITEURL}/archives/adam-notes/" in locs
    assert f"{SITEURL}/archives/adam-notes-en/" in locs
    assert f"{SITEURL}/about/" in locs
    assert [loc for loc in locs if output_file(one_site, loc) is None] == []
    # pelican-sitemap 1.2.2 writes the alternates' address as ``ref=``.
    alternates = [
        link.get("href") or link.get("ref")
        for link in tree.getroot().iter("{http://www.w3.org/1999/xhtml}link")
    ]
    assert f"{SITEURL}/archives/adam-notes-en/" in alternates
    assert [a for a in alternates if output_file(one_site, a) is None] == []


def test_one_site_every_link_resolves(one_site):
    assert broken_links(one_site) == []


def test_one_site_translations_are_cited_apart(one_site):
    assert "优化器笔记" in one_site.read("cite/adam-notes.bib")
    assert "Optimizer notes" in one_site.read("cite/adam-notes-en.bib")


def test_related_posts_show_rewritten_summaries(one_site):
    """Related posts carry the bundle's summaries: numbered, with a read-more
    link to that post, no marker, no unresolved reference."""
    page = one_site.read("archives/adam-notes-2/index.html")
    related = section(page, "related")
    assert f'href="{SITEURL}/archives/adam-notes/"' in related
    summary = re.search(
        rf'<a href="{SITEURL}/archives/adam-notes/">.*?'
        r'<div class="related-summary">(.*?)</div></div>',
        related,
        re.S,
    )
    assert summary, related
    text = summary.group(1)
    assert "这是摘要" in text
    assert "<!--more-->" not in text
    assert f'href="{SITEURL}/archives/adam-notes/#more"' in text
    assert "由式" not in text  # the body after the marker


def test_neighbors_link_to_pinned_urls(one_site):
    page = one_site.read("archives/adam-notes-2/index.html")
    nav = section(page, "neighbors")
    assert f'rel="prev"\n href="{SITEURL}/archives/adam-notes/"' in nav
    english = section(one_site.read("archives/adam-notes-2-en/index.html"), "neighbors")
    assert f'rel="prev"\n href="{SITEURL}/archives/adam-notes-en/"' in english
