"""The example site: it builds with its own settings, with no warning, and its
theme shows what a kexue.fm-style blog shows.

The site is built from a private copy (``example_site_copy``) with the settings
of its own ``pelicanconf.py`` / ``publishconf.py``; only the content, output and
cache folders are redirected. Most tests share one build (``site``); the
browser tests need a local MathJax (``node_modules``) and Debian's Chromium.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from conftest import EXAMPLE_SITE, NODE_MODULES, Site, run_pelican
from pelican.settings import read_settings

import pelican_sujianlin

PLUGIN_NAMES = [f"pelican_sujianlin.{name}" for name in pelican_sujianlin.PLUGIN_NAMES]
PARTIALS = (
    *("meta.html", "series.html", "citation.html", "comments.html"),
    *("recent_comments.html", "popular.html", "mathjax.html"),
)
MONTHS = [
    *("Jan", "Feb", "Mar", "Apr", "May", "Jun"),
    *("Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
]
SITEURL = "https://example.org/blog"  # publishconf.py's
REDIRECTED = ("PATH", "OUTPUT_PATH", "CACHE_PATH")


def example_settings(site_folder: Path, conf: str, output: Path) -> dict[str, Any]:
    """The settings of ``site_folder/conf``, building into ``output``."""
    settings = dict(read_settings(str(site_folder / conf)))
    for name in REDIRECTED:
        settings.pop(name, None)
    return {
        **settings,
        "PATH": str(site_folder / "content"),
        "OUTPUT_PATH": str(output),
        "CACHE_PATH": str(output.parent / f"{output.name}-cache"),
        # Local builds need no content cache; keep builds independent.
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
    }


def build_example(site_folder: Path, conf: str, output: Path) -> Site:
    settings = example_settings(site_folder, conf, output)
    warnings = run_pelican(settings)
    return Site(site_folder / "content", output, settings, warnings)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    """One build of the example site with ``pelicanconf.py``, shared by the module."""
    folder = tmp_path_factory.mktemp("example") / "example_site"
    shutil.copytree(
        EXAMPLE_SITE, folder, ignore=shutil.ignore_patterns("output", "cache")
    )
    return build_example(folder, "pelicanconf.py", folder / "output")


def soup(site: Site, path: str) -> BeautifulSoup:
    return BeautifulSoup(site.read(path), "html.parser")


def html_pages(site: Site) -> list[str]:
    return sorted(
        p.relative_to(site.output).as_posix() for p in site.output.rglob("*.html")
    )


def target(page: str, href: str) -> str:
    """The output path a link on ``page`` points to (fragment dropped)."""
    url = urlsplit(urljoin("http://site.test/" + page, href))
    path = url.path.lstrip("/")
    return path + "index.html" if path.endswith("/") or not path else path


def list_pages(site: Site) -> list[str]:
    """Index, tag, category and author pages, every page of their pagination."""
    return [
        p
        for p in html_pages(site)
        if p == "index.html"
        or (re.match(r"(page|tag|category|author)/", p) and p.endswith("index.html"))
    ]


def articles(site: Site) -> list[str]:
    """The output file of every published article (``archives/<slug>/``)."""
    found = []
    for path in sorted((site.output / "archives").glob("*/index.html")):
        if not path.parent.name.isdigit():
            found.append(path.relative_to(site.output).as_posix())
    return found


# --- the build itself ---------------------------------------------------------


def test_example_site_builds_with_no_warning(example_site_copy, tmp_path):
    built = build_example(example_site_copy, "pelicanconf.py", tmp_path / "out")
    assert built.warnings == []
    assert built.exists("index.html")


def test_publish_settings_build_with_no_warning_and_write_feeds(
    example_site_copy, tmp_path
):
    built = build_example(example_site_copy, "publishconf.py", tmp_path / "out")
    assert built.warnings == []
    assert built.settings["SITEURL"] == SITEURL
    feed = built.read("feeds/all.atom.xml")
    assert feed.count("<entry>") >= 10
    assert 'href="https://example.org/blog/archives/' in feed
    index = built.read("index.html")
    assert 'href="https://example.org/blog/archives/' in index
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ElementTree.fromstring(feed.encode()).findall(f"{atom}entry")
    for entry in entries:
        post = entry.find(f"{atom}link").get("href")
        summary = BeautifulSoup(entry.find(f"{atom}summary").text, "html.parser")
        link = summary.find_all("a")[-1]
        assert "read-more" in link["class"], post
        assert link["href"].split("#")[0] == post
        for ref in BeautifulSoup(
            entry.find(f"{atom}content").text, "html.parser"
        ).select("a.eqref"):
            # Absolute; part two's link to part one's equation included.
            assert ref["href"].startswith(f"{SITEURL}/archives/"), (post, ref)
            assert "#eq-" in ref["href"]


def test_content_uses_every_reader_and_feature():
    content = EXAMPLE_SITE / "content"
    posts = [
        p
        for p in content.rglob("*")
        if p.suffix in {".md", ".rst", ".html"}
        and "comments" not in p.relative_to(content).parts
        and "pages" not in p.relative_to(content).parts
    ]
    assert len(posts) >= 10
    assert {p.suffix for p in posts} == {".md", ".rst", ".html"}
    texts = {p.name: p.read_text(encoding="utf-8") for p in posts}
    everything = "\n".join(texts.values())
    for number in "一二三":
        assert f"生成扩散模型漫谈（{number}）：" in everything
    assert "Transformer升级之路：1、" in everything
    assert "Transformer升级之路：2、" in everything
    assert r"\label{" in everything
    assert r"\eqref{" in everything
    assert r"\notag" in everything
    assert r"\begin{align}" in everything
    with_marker = [
        n for n, t in texts.items() if re.search(r"<!--\s*more|^\.\. more", t, re.M)
    ]
    assert len(with_marker) > len(posts) / 2
    with_readers = [
        n
        for n, t in texts.items()
        if re.search(r"^:?readers:", t, re.I | re.M) or 'name="readers"' in t
    ]
    assert len(with_readers) > len(posts) / 2
    assert (content / "pages" / "about.md").is_file()
    comments = list((content / "comments").rglob("*.md"))
    assert any("replyto:" in c.read_text(encoding="utf-8") for c in comments)


def test_forward_references_come_before_their_equations():
    """At least one post cites an equation above the place it is defined."""
    forward = []
    for path in (EXAMPLE_SITE / "content").rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        for label in re.findall(r"\\eqref\{([^}]+)\}", text):
            defined = text.find(rf"\label{{{label}}}")
            if defined >= 0 and text.find(rf"\eqref{{{label}}}") < defined:
                forward.append((path.name, label))
    assert forward


# --- list pages ---------------------------------------------------------------


def test_every_post_is_listed_once_as_an_article_with_badge_and_meta(site):
    listed: dict[str, int] = {}
    for page in [
        "index.html",
        *sorted(p for p in list_pages(site) if p.startswith("page/")),
    ]:
        for item in soup(site, page).select("main article"):
            title_link = item.select_one(".post-title a")
            url = target(page, title_link["href"])
            listed[url] = listed.get(url, 0) + 1
            badge = item.select_one("time.date-badge")
            day, month = badge.get_text(" ", strip=True).split()
            date = datetime.fromisoformat(badge["datetime"])
            assert (int(day), month) == (date.day, MONTHS[date.month - 1])
            meta = item.select_one(".post-meta")
            assert meta is not None, f"no meta line for {url}"
            text = " ".join(meta.get_text(" ", strip=True).split())
            assert text.startswith(f"By 江行 | {date:%Y-%m-%d}"), text
    assert sorted(listed) == articles(site)
    assert set(listed.values()) == {1}
    # kexue.fm's own form, day then month: "6 Nov".
    badge = soup(site, "tag/softmax/index.html").select_one(
        "article:has(a[href$='archives/logsumexp/']) time.date-badge"
    )
    assert " ".join(badge.get_text().split()) == "6 Nov"


def test_meta_line_shows_reader_counts_and_the_cite_link(site):
    page = "archives/diffusion-models-1/index.html"
    meta = soup(site, page).select_one("main .post-meta")
    text = " ".join(meta.get_text(" ", strip=True).split())
    assert text == "By 江行 | 2024-03-06 | 25731位读者 | 引用"
    assert meta.select_one("span.readers").get_text() == "25731位读者"
    assert meta.select_one("a")["href"].endswith("#cite")
    # A post without Readers: metadata leaves the count out.
    plain = soup(site, "archives/attention-scale/index.html").select_one(
        "main .post-meta"
    )
    assert "位读者" not in plain.get_text()


def test_every_summary_ends_with_the_read_more_link(site):
    """Needs read_more: each listed summary ends in 点击阅读全文... to its post."""
    for page in list_pages(site):
        for item in soup(site, page).select("main article"):
            post = target(page, item.select_one(".post-title a")["href"])
            summary = item.select_one(".summary")
            last = summary.find_all(True, recursive=False)[-1]
            assert last.name == "a", f"{page}: {post} summary does not end in a link"
            assert "read-more" in last["class"]
            assert last.get_text() == "点击阅读全文..."
            assert target(page, last["href"]) == post


def test_marker_summaries_stop_at_the_marker(site):
    item = next(
        a
        for a in soup(site, "index.html").select("main article")
        if "位置插值与长度外推" in a.select_one(".post-title").get_text()
    )
    summary = item.select_one(".summary").get_text()
    assert "长度外推" in summary
    assert "问题出在低频" not in summary  # the first heading below the marker


def test_pagination_links_every_index_page(site):
    per_page = site.settings["DEFAULT_PAGINATION"]
    pages = 1 + (len(articles(site)) - 1) // per_page
    assert pages >= 2
    nav = soup(site, "index.html").select_one("nav.pagination")
    linked = {target("index.html", a["href"]) for a in nav.select("a[href]")}
    assert {f"page/{n}/index.html" for n in range(2, pages + 1)} <= linked
    second = soup(site, "page/2/index.html")
    assert second.select("main article")
    prev = second.select_one("nav.pagination a[rel=prev]")
    assert target("page/2/index.html", prev["href"]) == "index.html"


def test_tag_and_category_pages_list_their_posts(site):
    tags = soup(site, "tags/index.html").select("main .tag-cloud a")
    assert len(tags) >= 10
    for link in tags:
        page = target("tags/index.html", link["href"])
        assert page.startswith("tag/")
        count = int(link.select_one(".count").get_text())
        listed = soup(site, page).select("main article")
        assert len(listed) == min(count, site.settings["DEFAULT_PAGINATION"])
    categories = soup(site, "categories/index.html").select("main .plain-list a")
    assert len(categories) >= 2
    for link in categories:
        page = target("categories/index.html", link["href"])
        assert page.startswith("category/")
        heading = soup(site, page).select_one("main h1").get_text()
        assert link.get_text() in heading
        assert soup(site, page).select("main article")


def test_archives_are_grouped_by_year_with_a_page_per_year(site):
    archive = soup(site, "archives/index.html")
    years = [s.select_one("h2 a") for s in archive.select("main .archive-year")]
    assert [y.get_text() for y in years] == ["2025 年", "2024 年", "2023 年"]
    total = 0
    for year in years:
        page = target("archives/index.html", year["href"])
        assert page == f"archives/{year.get_text()[:4]}/index.html"
        items = soup(site, page).select("main .archive-list li")
        assert items
        for item in items:
            post = target(page, item.select_one("a")["href"])
            assert site.exists(post)
            assert (
                year.get_text()[:4]
                in soup(site, post).select_one("main time.date-badge")["datetime"]
            )
        total += len(items)
    assert total == len(articles(site))


# --- sidebar ------------------------------------------------------------------


def test_sidebar_on_every_page(site):
    for page in [
        "index.html",
        "archives/diffusion-models-1/index.html",
        "about/index.html",
    ]:
        sidebar = soup(site, page).select_one("aside.sidebar")
        assert sidebar.select_one("#tags .tag-cloud a")
        assert sidebar.select_one("#archives-by-year a")


def test_sidebar_recent_comments_link_to_comments(site):
    """Needs recent_comments: the widget lists the comments, newest first."""
    widget = soup(site, "index.html").select_one("aside #recent-comments")
    assert widget is not None
    assert "最近评论" in widget.get_text()
    links = widget.select("a[href*='#comment-']")
    assert len(links) == 6
    first = target("index.html", links[0]["href"])
    assert first == "archives/transformer-upgrade-2/index.html"
    assert links[0]["href"].endswith("#comment-jiang-reply-linear")
    page = soup(site, first)
    assert page.select_one("#comment-jiang-reply-linear")


def test_sidebar_popular_posts_most_read_first(site):
    """Needs reader_count: 热门文章 lists posts by their reader counts."""
    widget = soup(site, "index.html").select_one("aside #popular")
    assert widget is not None
    counts = [
        int(re.sub(r"\D", "", span.get_text())) for span in widget.select(".readers")
    ]
    assert counts
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == 47615


# --- article pages -------------------------------------------------------------


def test_article_has_citation_and_threaded_comments(site):
    page = soup(site, "archives/diffusion-models-1/index.html")
    cite = page.select_one("main #cite")
    assert cite is not None
    assert "https://example.org/blog/archives/diffusion-models-1/" in cite.get_text()
    assert "@online{" in cite.select_one("pre").get_text()
    parent = page.select_one("#comment-lin-posterior")
    reply = page.select_one("#comment-jiang-reply-posterior")
    assert reply in parent.find_all("li")
    assert "zhiqiu@example.net" not in str(page)


def test_series_navigation_on_series_posts(site):
    """Needs series: every part shows its series with prev/next links."""
    parts = [f"archives/diffusion-models-{n}/index.html" for n in (1, 2, 3)]
    for number, page in enumerate(parts):
        nav = soup(site, page).select_one("main nav.series")
        assert nav is not None, page
        assert "生成扩散模型漫谈" in nav.get_text()
        prev = nav.select_one("a[rel=prev]")
        following = nav.select_one("a[rel=next]")
        if number == 0:
            assert prev is None
        else:
            assert target(page, prev["href"]) == parts[number - 1]
        if number == len(parts) - 1:
            assert following is None
        else:
            assert target(page, following["href"]) == parts[number + 1]
    rope = soup(site, "archives/transformer-upgrade-2/index.html")
    assert "Transformer升级之路" in rope.select_one("main nav.series").get_text()
    assert (
        soup(site, "archives/kl-divergence/index.html").select_one("nav.series") is None
    )


def test_each_series_has_a_page_listing_its_parts(site):
    """Needs series: a page per series, each part an <article>, in order."""
    first = soup(site, "archives/diffusion-models-1/index.html")
    series_link = next(
        a
        for a in first.select("aside #series-list a")
        if a.get_text() == "生成扩散模型漫谈"
    )
    page = target("archives/diffusion-models-1/index.html", series_link["href"])
    assert page.startswith("series/")
    listed = [
        target(page, a.select_one("a")["href"])
        for a in soup(site, page).select("main article")
    ]
    assert listed == [f"archives/diffusion-models-{n}/index.html" for n in (1, 2, 3)]


def test_series_index_lists_every_series_with_its_parts(site):
    """Needs series: the page of every series, linked from the menu."""
    menu = soup(site, "index.html").select("nav.site-nav a")
    link = next(a for a in menu if a.get_text() == "系列文章")
    page = target("index.html", link["href"])
    assert page == "series/index.html"
    entries = soup(site, page).select("main .series-entry")
    names = [e.select_one("h2 a").get_text() for e in entries]
    assert sorted(names) == ["Transformer升级之路", "生成扩散模型漫谈"]
    for entry in entries:
        assert site.exists(target(page, entry.select_one("h2 a")["href"]))
        assert len(entry.select("li a")) == 3


def test_equations_are_numbered_and_references_link(site):
    """Needs equations: eqrefs are real links to ids on the page, none missing."""
    for post in articles(site):
        page = site.read(post)
        assert "eqref-missing" not in page, post
        assert r"\label{" not in page, post
    page = soup(site, "archives/diffusion-models-1/index.html")
    refs = page.select("main .post-content a.eqref")
    assert refs
    for ref in refs:
        fragment = ref["href"].split("#", 1)[1]
        assert page.find(id=fragment) is not None
    # The intro cites the loss, equation (7), long before it is written.
    first = refs[0]
    assert first.get_text() == "(7)"
    html = site.read("archives/diffusion-models-1/index.html")
    fragment = first["href"].split("#", 1)[1]
    assert html.find('class="eqref"') < html.find(f'id="{fragment}"')


def test_a_series_part_cites_an_equation_of_an_earlier_part(site):
    """Needs equations: ``\\eqref{diffusion-models-1/eq:loss}`` in part two."""
    page = "archives/diffusion-models-2/index.html"
    cross = [
        a
        for a in soup(site, page).select("main .post-content a.eqref")
        if "diffusion-models-1" in a["href"]
    ]
    assert [a.get_text() for a in cross] == ["(7)"]
    path, fragment = target(page, cross[0]["href"]), cross[0]["href"].split("#")[1]
    assert path == "archives/diffusion-models-1/index.html"
    assert soup(site, path).find(id=fragment) is not None


def test_summary_references_below_the_fold_link_into_the_article(site):
    """Needs equations and read_more: the intro of part one cites (7)."""
    checked = 0
    for page in list_pages(site):
        for item in soup(site, page).select("main article"):
            post = target(page, item.select_one(".post-title a")["href"])
            for ref in item.select(".summary a.eqref"):
                fragment = ref["href"].split("#")[1]
                if item.find(id=fragment) is None:
                    assert target(page, ref["href"]) == post
                    assert soup(site, post).find(id=fragment) is not None
                    checked += 1
    assert checked >= 2


def test_mathjax_is_loaded_on_pages_with_math_only(site):
    """Needs equations: the MathJax partial adds a script where there is math."""
    with_math = site.read("archives/diffusion-models-1/index.html")
    assert re.search(r"<script[^>]+mathjax", with_math, re.I)
    about = site.read("about/index.html")
    assert not re.search(r"<script[^>]+mathjax", about, re.I)


# --- hygiene -------------------------------------------------------------------


class EventHandlerFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in {"href", "src"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value}>")


def test_no_inline_event_handlers_anywhere(site):
    for page in html_pages(site):
        finder = EventHandlerFinder()
        finder.feed(site.read(page))
        assert finder.found == [], page


def test_theme_loads_nothing_from_other_sites():
    theme = EXAMPLE_SITE / "theme"
    for path in theme.rglob("*"):
        if path.suffix not in {".html", ".css"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src=|@import|url\()\s*[\"']?(https?:)?//", text), path
        assert not re.search(r"<link[^>]+href=\"(https?:)?//", text), path


def test_theme_is_responsive():
    css = (EXAMPLE_SITE / "theme" / "static" / "css" / "main.css").read_text(
        encoding="utf-8"
    )
    assert re.search(r"@media \(max-width: \d+px\)", css)
    assert site_has_viewport(EXAMPLE_SITE / "theme" / "templates" / "base.html")


def site_has_viewport(base: Path) -> bool:
    return 'name="viewport"' in base.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "plugins",
    [[], *([name] for name in PLUGIN_NAMES)],
    ids=["no-plugin", *PLUGIN_NAMES],
)
def test_theme_renders_with_any_plugin_left_out(example_site_copy, tmp_path, plugins):
    """Every partial is included with a guard: the theme needs none of them."""
    settings = example_settings(example_site_copy, "pelicanconf.py", tmp_path / "out")
    settings["PLUGINS"] = plugins
    if "pelican_sujianlin.recent_comments" not in plugins:
        settings["ARTICLE_EXCLUDES"] = ["comments"]  # else they read as posts
    warnings = run_pelican(settings)
    built = Site(example_site_copy / "content", tmp_path / "out", settings, warnings)
    assert built.warnings == []
    index = soup(built, "index.html")
    assert len(index.select("main article")) == settings["DEFAULT_PAGINATION"]
    assert index.select_one("aside.sidebar #tags")
    article = soup(built, "archives/diffusion-models-1/index.html")
    assert article.select_one("main .post-content")


def test_theme_includes_the_partials_instead_of_copying_them():
    templates = EXAMPLE_SITE / "theme" / "templates"
    text = "\n".join(p.read_text(encoding="utf-8") for p in templates.rglob("*.html"))
    for partial in PARTIALS:
        assert f'{{% include "sujianlin/{partial}"' in text
    for hook in ('id="cite"', 'id="recent-comments"', 'id="popular"', 'class="series"'):
        assert hook not in text
    assert not (EXAMPLE_SITE / "theme" / "templates" / "sujianlin").exists()


# --- in a real browser ---------------------------------------------------------

LAYOUT = """() => {
  const box = (selector) => document.querySelector(selector).getBoundingClientRect();
  const main = box("main"), aside = box("aside.sidebar");
  return {
    scrollWidth: document.documentElement.scrollWidth,
    mainRight: main.right, mainBottom: main.bottom,
    asideLeft: aside.left, asideTop: aside.top,
    math: document.querySelectorAll("mjx-container").length,
    errors: document.querySelectorAll("mjx-merror, merror").length,
  };
}"""


@pytest.fixture(scope="module")
def local_math_site(tmp_path_factory) -> Site:
    """The example site with MathJax loaded from the repository's node_modules."""
    folder = tmp_path_factory.mktemp("example-browser") / "example_site"
    shutil.copytree(
        EXAMPLE_SITE, folder, ignore=shutil.ignore_patterns("output", "cache")
    )
    output = folder / "output"
    settings = example_settings(folder, "pelicanconf.py", output)
    settings["MATHJAX_URL"] = "/node_modules/mathjax/tex-mml-chtml.js"
    warnings = run_pelican(settings)
    return Site(folder / "content", output, settings, warnings)


@pytest.mark.browser
@pytest.mark.parametrize("path", ["", "archives/transformer-upgrade-2/"])
def test_layout_on_desktop_and_phone(local_math_site, serve, browser, path):
    """Sidebar beside the content on a desktop, below it on a phone; the math
    is drawn, and nothing (not even a wide equation) makes a phone scroll
    sideways."""
    assert local_math_site.warnings == []
    with serve(local_math_site.output, {"/node_modules": NODE_MODULES}) as base:
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            try:
                page.goto(f"{base}/{path}")
                page.wait_for_function(
                    "() => window.MathJax?.startup?.promise !== undefined"
                )
                page.evaluate("() => MathJax.startup.promise")
                layout = page.evaluate(LAYOUT)
            finally:
                context.close()
            assert errors == []
            assert layout["math"] > 0
            assert layout["errors"] == 0
            assert layout["scrollWidth"] <= width
            if width > 860:
                assert layout["asideLeft"] >= layout["mainRight"]
            else:
                assert layout["asideTop"] >= layout["mainBottom"]
