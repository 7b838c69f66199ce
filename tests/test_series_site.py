"""series: real sites built with Pelican, read back from the files written."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

HERE = Path(__file__).parent
SERIES_STYLE_THEME = HERE / "themes" / "pelican_series_style"
FLEX_STYLE_THEME = HERE / "themes" / "flex_style"
SERIES_ONLY = ["pelican_sujianlin.series"]


def post(title, date, body="正文。", **metadata):
    lines = [f"Title: {title}", f"Date: {date}"]
    lines += [f"{key}: {value}" for key, value in metadata.items()]
    return "\n".join(lines) + f"\n\n{body}\n"


DIFFUSION = {
    "d1.md": post(
        "生成扩散模型漫谈（一）：拆楼", "2024-01-01", "第一篇的摘要。", slug="d1"
    ),
    "d3.md": post(
        "生成扩散模型漫谈（三）：建楼", "2024-01-20", "第三篇的摘要。", slug="d3"
    ),
    "d2.md": post("生成扩散模型漫谈（二）：<b>DDIM</b> & co", "2024-01-10", slug="d2"),
    "plain.md": post("普通文章（续）", "2024-02-01", slug="plain"),
}


@pytest.fixture
def nav_theme(tmp_path):
    """notmyidea with the series partial included in its article page."""
    overrides = tmp_path / "nav_overrides"
    overrides.mkdir()
    (overrides / "article.html").write_text(
        '{% extends "!theme/article.html" %}{% block content %}'
        '{% include "sujianlin/series.html" %}{{ super() }}{% endblock %}',
        encoding="utf-8",
    )
    return {"THEME": "notmyidea", "THEME_TEMPLATES_OVERRIDES": [str(overrides)]}


def soup(site, path):
    return BeautifulSoup(site.read(path), "html.parser")


def test_navigation_on_every_part(build_site, nav_theme):
    site = build_site(DIFFUSION, **nav_theme)
    assert site.warnings == []
    nav = soup(site, "d2.html").select_one("nav.series")
    about = nav.select_one(".series-about")
    assert about.get_text() == "本文是「生成扩散模型漫谈」系列的第 2 篇，共 3 篇。"
    series_url = (
        "https://blog.example.test/series/sheng-cheng-kuo-san-mo-xing-man-tan.html"
    )
    assert about.a["href"] == series_url
    items = nav.select("ol.series-parts li")
    assert [li.get_text() for li in items] == [
        "生成扩散模型漫谈（一）：拆楼",
        "生成扩散模型漫谈（二）：<b>DDIM</b> & co",
        "生成扩散模型漫谈（三）：建楼",
    ]
    assert items[1].get("aria-current") == "page"
    assert items[1].a is None
    assert items[0].a["href"] == "https://blog.example.test/d1.html"
    assert nav.select_one("a[rel=prev]")["href"] == "https://blog.example.test/d1.html"
    assert nav.select_one("a[rel=next]")["href"] == "https://blog.example.test/d3.html"
    assert (
        nav.select_one("a[rel=next]").get_text()
        == "下一篇：生成扩散模型漫谈（三）：建楼"
    )
    # the author's markup in a title is shown, never injected
    assert "&lt;b&gt;DDIM&lt;/b&gt; &amp; co" in str(nav)
    first = soup(site, "d1.html").select_one("nav.series")
    assert first.select_one("a[rel=prev]") is None
    assert first.select_one("a[rel=next]")["href"].endswith("/d2.html")
    last = soup(site, "d3.html").select_one("nav.series")
    assert last.select_one("a[rel=next]") is None
    assert soup(site, "plain.html").select_one("nav.series") is None


def test_series_page_lists_parts_in_order_with_dates_and_summaries(build_site):
    site = build_site(DIFFUSION, PLUGINS=SERIES_ONLY, THEME="notmyidea")
    page = soup(site, "series/sheng-cheng-kuo-san-mo-xing-man-tan.html")
    assert (
        page.select_one("section.series-page h1").get_text()
        == "「生成扩散模型漫谈」系列"
    )
    parts = page.select("section.series-page article")
    assert [a.h2.get_text() for a in parts] == [
        "生成扩散模型漫谈（一）：拆楼",
        "生成扩散模型漫谈（二）：<b>DDIM</b> & co",
        "生成扩散模型漫谈（三）：建楼",
    ]
    assert parts[0].h2.a["href"] == "https://blog.example.test/d1.html"
    assert parts[0].time["datetime"].startswith("2024-01-01")
    assert "第一篇的摘要。" in parts[0].select_one(".summary").get_text()
    # the bundle's fallback extends the theme's own base.html
    assert page.select_one("header#banner") is not None
    index = soup(site, "series/index.html")
    entries = index.select("section.series-index article")
    assert [e.h2.get_text() for e in entries] == ["生成扩散模型漫谈"]
    assert "共 3 篇" in entries[0].get_text()


def test_series_pages_can_be_paginated(build_site):
    site = build_site(
        DIFFUSION,
        PLUGINS=SERIES_ONLY,
        THEME="notmyidea",
        PAGINATED_TEMPLATES={
            "index": None,
            "tag": None,
            "category": None,
            "author": None,
            "series": 2,
        },
    )
    first = soup(site, "series/sheng-cheng-kuo-san-mo-xing-man-tan.html")
    second = soup(site, "series/sheng-cheng-kuo-san-mo-xing-man-tan2.html")
    titles = [a.h2.get_text() for a in first.select("section.series-page article")]
    assert titles == [
        "生成扩散模型漫谈（一）：拆楼",
        "生成扩散模型漫谈（二）：<b>DDIM</b> & co",
    ]
    assert [a.h2.get_text() for a in second.select("section.series-page article")] == [
        "生成扩散模型漫谈（三）：建楼"
    ]
    assert first.select_one("nav.pagination a[rel=next]")["href"].endswith(
        "sheng-cheng-kuo-san-mo-xing-man-tan2.html"
    )


def test_no_series_writes_no_pages_and_changes_nothing(build_site):
    content = {
        "a.md": post("普通文章（续）", "2024-01-01"),
        "b.md": post("新年快乐（2010）", "2024-01-02"),
        "c.md": post("再谈SO(3)", "2024-01-03"),
        "d.md": post("只有一篇的系列（一）", "2024-01-04"),
    }
    plain = build_site(content, PLUGINS=[])
    with_series = build_site(content, PLUGINS=SERIES_ONLY)
    assert plain.files() == with_series.files()
    assert not with_series.exists("series")


def test_english_site_and_translatable_text(build_site, nav_theme):
    content = {
        "a.md": post("Attention, Part 1: basics", "2024-01-01", slug="a"),
        "b.md": post("Attention, Part 2: details", "2024-01-02", slug="b"),
    }
    site = build_site(content, DEFAULT_LANG="en", **nav_theme)
    nav = soup(site, "b.html").select_one("nav.series")
    assert nav.select_one(".series-about").get_text() == (
        "This is part 2 of 2 in the series “Attention”."
    )
    assert (
        nav.select_one("a[rel=prev]").get_text()
        == "Previous: Attention, Part 1: basics"
    )
    site = build_site(
        content,
        DEFAULT_LANG="en",
        SERIES_LABELS={"nav": "Teil {index}/{count} von {name}", "previous": "Zurück"},
        **nav_theme,
    )
    nav = soup(site, "b.html").select_one("nav.series")
    assert nav.select_one(".series-about").get_text() == "Teil 2/2 von Attention"
    assert nav.select_one("a[rel=prev]").get_text() == "Zurück"
    assert nav.select_one("a[rel=next]") is None


ATTENTION = {
    "a.md": post("Attention, Part 1: basics", "2024-01-01", slug="a"),
    "b.md": post("Attention, Part 2: details", "2024-01-02", slug="b"),
}
FLEX_SERIES_TEXT = "Part %(index)s of the %(name)s series"


def test_flex_style_string_series_text(build_site, nav_theme):
    """Flex, Reflex and pelican-bootstrap3 read SERIES_TEXT as a %-format."""
    site = build_site(
        ATTENTION,
        DEFAULT_LANG="en",
        THEME=str(FLEX_STYLE_THEME),
        SERIES_TEXT="Part %(index)s of the %(name)s series (100%%)",
    )
    assert site.warnings == []
    assert soup(site, "b.html").select_one(".related-posts h4").get_text() == (
        "Part 2 of the Attention series (100%)"
    )
    # the bundle's own navigation says the same, with its own count
    site = build_site(
        ATTENTION, DEFAULT_LANG="en", SERIES_TEXT=FLEX_SERIES_TEXT, **nav_theme
    )
    assert site.warnings == []
    about = soup(site, "b.html").select_one("nav.series .series-about")
    assert about.get_text() == "Part 2 of the Attention series"
    assert about.a["href"] == "https://blog.example.test/series/attention.html"


def test_old_dict_series_text_still_works_with_a_warning(build_site, nav_theme):
    labels = {"nav": "Teil {index}/{count} von {name}"}
    site = build_site(ATTENTION, DEFAULT_LANG="en", SERIES_TEXT=labels, **nav_theme)
    assert [w for w in site.warnings if "SERIES_TEXT" in w] == [
        "SERIES_TEXT as a mapping is deprecated: rename it SERIES_LABELS "
        "(themes such as Flex print SERIES_TEXT as a string)"
    ]
    nav = soup(site, "b.html").select_one("nav.series")
    assert nav.select_one(".series-about").get_text() == "Teil 2/2 von Attention"
    # a Flex-style theme prints its own default, never the dict
    site = build_site(
        ATTENTION, DEFAULT_LANG="en", SERIES_TEXT=labels, THEME=str(FLEX_STYLE_THEME)
    )
    heading = soup(site, "b.html").select_one(".related-posts h4").get_text()
    assert heading == "Part 2 of the Attention series"


@pytest.mark.parametrize(
    ("settings", "warning"),
    [
        ({"SERIES_TEXT": 42}, "SERIES_TEXT = 42 is not"),
        ({"SERIES_TEXT": "Part %(number)s"}, "SERIES_TEXT 'Part %(number)s' is not"),
        ({"SERIES_TEXT": "100% done"}, "SERIES_TEXT '100% done' is not"),
        ({"SERIES_TEXT": "%(index)s/%(count)s"}, "SERIES_TEXT '%(index)s/%(count)s'"),
        ({"SERIES_LABELS": "Teil"}, "SERIES_LABELS = 'Teil' is not"),
        ({"SERIES_LABELS": {"navigation": "x"}}, "SERIES_LABELS['navigation']"),
    ],
)
def test_series_texts_the_bundle_cannot_use_warn(
    build_site, nav_theme, settings, warning
):
    site = build_site(ATTENTION, DEFAULT_LANG="en", **settings, **nav_theme)
    assert len([w for w in site.warnings if w.startswith(warning)]) == 1, site.warnings
    about = soup(site, "b.html").select_one("nav.series .series-about")
    assert about.get_text() == "This is part 2 of 2 in the series “Attention”."


def test_context_keeps_pelican_series_old_name(build_site):
    """pelican-series before 3.0 put every series in the context as "series"."""
    site = build_site(
        {**ATTENTION, **DIFFUSION}, DEFAULT_LANG="en", THEME=str(FLEX_STYLE_THEME)
    )
    cards = [p.get_text() for p in soup(site, "index.html").select(".series-card")]
    assert cards == ["生成扩散模型漫谈: 3", "Attention: 2"]


def test_a_series_of_one_post_shows_no_navigation(build_site, nav_theme):
    content = {"solo.md": post("独篇", "2024-01-01", slug="solo", series="孤独的系列")}
    site = build_site(content, **nav_theme)
    assert soup(site, "solo.html").select_one("nav.series") is None
    assert "独篇" in site.read("series/gu-du-de-xi-lie.html")


def test_drafts_and_hidden_posts_never_join_and_never_break(build_site):
    content = {
        "d1.md": post("生成扩散模型漫谈（一）", "2024-01-01", slug="d1"),
        "d3.md": post("生成扩散模型漫谈（三）", "2024-01-03", slug="d3"),
        "draft.md": post(
            "生成扩散模型漫谈（二）", "2024-01-02", slug="d2", status="draft"
        ),
        "hidden.md": post(
            "生成扩散模型漫谈（四）", "2024-01-04", slug="d4", status="hidden"
        ),
        # a draft alone in a declared series (pelican-series issues #18, #31)
        "lone.md": post(
            "Lone", "2024-01-05", slug="lone", series="Unborn", status="draft"
        ),
    }
    site = build_site(content, THEME=str(SERIES_STYLE_THEME), PLUGINS=SERIES_ONLY)
    assert site.warnings == []
    published = soup(site, "d1.html")
    assert [a.get_text() for a in published.select("ol.parts a")] == [
        "生成扩散模型漫谈（一）",
        "生成扩散模型漫谈（三）",
    ]
    assert published.select_one("a.series-next")["href"].endswith("/d3.html")
    draft = soup(site, "drafts/d2.html")
    assert draft.select_one(".part-of").get_text() == (
        'Part 2 of the "生成扩散模型漫谈" series'
    )
    assert draft.select_one("li.active").get_text() == "生成扩散模型漫谈（二）"
    assert draft.select_one("a.series-prev")["href"].endswith("/d1.html")
    hidden = soup(site, "d4.html")
    assert hidden.select_one(".part-of").get_text().startswith("Part 3 ")
    assert hidden.select_one("a.series-next") is None
    lone = soup(site, "drafts/lone.html")
    assert lone.select_one(".part-of").get_text() == 'Part 1 of the "Unborn" series'
    page = site.read("series/sheng-cheng-kuo-san-mo-xing-man-tan.html")
    assert "（二）" not in page
    assert "（四）" not in page
    assert not site.exists("series/unborn.html")


def test_pelican_series_style_theme(build_site):
    content = {
        **DIFFUSION,
        "t1.md": post("Transformer升级之路：1、正弦", "2024-03-01", slug="t1"),
        "t2.md": post("Transformer升级之路：2、旋转", "2024-03-05", slug="t2"),
    }
    site = build_site(content, THEME=str(SERIES_STYLE_THEME))
    assert site.warnings == []
    t2 = soup(site, "t2.html")
    assert (
        t2.select_one(".part-of").get_text()
        == 'Part 2 of the "Transformer升级之路" series'
    )
    assert t2.select_one(".earlier").get_text() == "1 earlier, 0 later"
    assert t2.select_one(".last-before").get_text() == "Transformer升级之路：1、正弦"
    d2 = soup(site, "d2.html")
    assert d2.select_one(".earlier").get_text() == "1 earlier, 1 later"
    assert d2.select_one(".first-after").get_text() == "生成扩散模型漫谈（三）：建楼"
    cards = soup(site, "index.html").select(".series-card")
    # newest series first, as pelican-series' global article_series lists them
    assert [c.h3.get_text() for c in cards] == [
        "Transformer升级之路",
        "生成扩散模型漫谈",
    ]
    assert cards[1].a["href"].endswith("/d1.html")
    assert cards[1].select_one(".n").get_text() == "3"
    # no series.html in this theme: the bundle's page, inside the theme's base.html
    page = soup(site, "series/transformer-sheng-ji-zhi-lu.html")
    assert page.header.a.get_text() == "Test Spaces"
    assert len(page.select("section.series-page article")) == 2


def test_a_theme_series_html_wins(build_site, tmp_path):
    overrides = tmp_path / "own"
    overrides.mkdir()
    (overrides / "series.html").write_text(
        "<ul id='own'>{% for a in articles %}<li>{{ a.slug }}</li>{% endfor %}</ul>"
        "{{ series.name }}",
        encoding="utf-8",
    )
    (overrides / "series_index.html").write_text(
        "{% for s in series_index.series %}[{{ s.url }}]{% endfor %}", encoding="utf-8"
    )
    site = build_site(
        DIFFUSION, PLUGINS=SERIES_ONLY, THEME_TEMPLATES_OVERRIDES=[str(overrides)]
    )
    assert site.read("series/sheng-cheng-kuo-san-mo-xing-man-tan.html") == (
        "<ul id='own'><li>d1</li><li>d2</li><li>d3</li></ul>生成扩散模型漫谈"
    )
    assert site.read("series/index.html") == (
        "[series/sheng-cheng-kuo-san-mo-xing-man-tan.html]"
    )


def test_translations_form_their_own_series(build_site, nav_theme):
    content = {
        "zh1.md": post("名称（一）", "2024-01-01", slug="p1"),
        "zh2.md": post("名称（二）", "2024-01-02", slug="p2"),
        "en1.md": post(
            "Name, Part 1", "2024-01-01", slug="p1", lang="en", series="Name"
        ),
        "en2.md": post(
            "Name, Part 2", "2024-01-02", slug="p2", lang="en", series="Name"
        ),
    }
    site = build_site(content, **nav_theme)
    zh = soup(site, "p2.html").select_one("nav.series")
    assert [li.get_text() for li in zh.select("li")] == ["名称（一）", "名称（二）"]
    en = soup(site, "p2-en.html").select_one("nav.series")
    assert [li.get_text() for li in en.select("li")] == ["Name, Part 1", "Name, Part 2"]
    assert en.select_one("a[rel=prev]")["href"].endswith("/p1-en.html")
    assert site.exists("series/ming-cheng.html")
    assert site.exists("series/name-en.html")
    index = soup(site, "series/index.html")
    assert [e.h2.get_text() for e in index.select("article")] == ["名称"]


def test_metadata_wins_and_bad_indexes_warn_naming_files(build_site, nav_theme):
    content = {
        "a.md": post("起点", "2024-01-01", slug="a", series="漫谈", series_index="二"),
        "b.md": post("漫谈（一）：开篇", "2024-01-05", slug="b"),
        "c.md": post("漫谈（三）", "2024-01-02", slug="c"),
        "d.md": post("漫谈（三）：又一篇", "2024-01-03", slug="d"),
        "e.md": post(
            "外篇", "2024-01-04", slug="e", series="漫谈", series_index="oops"
        ),
    }
    site = build_site(content, **nav_theme)
    items = soup(site, "a.html").select("nav.series li")
    assert [li.get_text() for li in items] == [
        "漫谈（一）：开篇",
        "起点",
        "漫谈（三）",
        "漫谈（三）：又一篇",
        "外篇",
    ]
    assert any("e.md" in w and "'oops'" in w for w in site.warnings)
    assert any("c.md and d.md" in w and "3" in w for w in site.warnings)
    assert len(site.warnings) == 2


def test_title_detection_can_be_off_and_sites_add_patterns(build_site, nav_theme):
    content = {
        "a.md": post("细水长flow之NICE", "2024-01-01", slug="a"),
        "b.md": post("细水长flow之RealNVP", "2024-01-02", slug="b"),
        "c.md": post("名称（一）", "2024-01-03", slug="c"),
        "d.md": post("名称（二）", "2024-01-04", slug="d"),
    }
    site = build_site(content, SERIES_FROM_TITLE=False, **nav_theme)
    assert not site.exists("series")
    assert soup(site, "d.html").select_one("nav.series") is None
    site = build_site(
        content,
        SERIES_TITLE_PATTERNS=[r"(?P<name>细水长flow)之(?P<subtitle>.+)", "(broken"],
        SERIES_TITLE_MIN_PARTS=2,
        **nav_theme,
    )
    assert soup(site, "b.html").select_one(".series-about").get_text() == (
        "本文是「细水长flow」系列的第 2 篇，共 2 篇。"
    )
    assert site.exists("series/ming-cheng.html")
    assert any("(broken" in w for w in site.warnings)


def test_slugs_settings_and_clashes(build_site):
    content = {
        "a.md": post("甲", "2024-01-01", series="A-B"),
        "b.md": post("乙", "2024-01-02", series="A B"),
        "c.md": post("丙", "2024-01-03", series="A_B"),
        "d.md": post("丁", "2024-01-04", series="生成扩散模型漫谈"),
    }
    site = build_site(
        content,
        PLUGINS=SERIES_ONLY,
        SERIES_SLUGS={"生成扩散模型漫谈": "diffusion"},
        SERIES_URL="s/{slug}/",
        SERIES_SAVE_AS="s/{slug}/index.html",
        SERIES_INDEX_SAVE_AS="",
    )
    assert site.exists("s/diffusion/index.html")
    assert site.exists("s/a-b/index.html")
    assert site.exists("s/a-b-2/index.html")
    assert not site.exists("series/index.html")
    assert any("'A B'" in w and "s/a-b-2/index.html" in w for w in site.warnings)
    unicode_site = build_site(content, PLUGINS=SERIES_ONLY, SLUGIFY_USE_UNICODE=True)
    assert unicode_site.exists("series/生成扩散模型漫谈.html")


def test_content_cache_gives_the_same_site(build_site, tmp_path):
    content = tmp_path / "cached_content"
    content.mkdir()
    for name, text in DIFFUSION.items():
        (content / name).write_text(text, encoding="utf-8")
    cache = {"CACHE_CONTENT": True, "LOAD_CONTENT_CACHE": True}
    cache["CACHE_PATH"] = str(tmp_path / "shared_cache")
    clean = build_site(content, THEME=str(SERIES_STYLE_THEME), **cache)
    cached = build_site(content, THEME=str(SERIES_STYLE_THEME), **cache)
    assert clean.files() == cached.files()
    assert 'Part 2 of the "生成扩散模型漫谈" series' in cached.read("d2.html")


def test_example_site(build_site, example_site_copy):
    theme = example_site_copy / "theme"
    if not (theme / "templates" / "article.html").exists():
        pytest.skip("example_site/theme is not written yet")
    site = build_site(
        example_site_copy / "content",
        THEME=str(theme),
        ARTICLE_URL="archives/{slug}/",
        ARTICLE_SAVE_AS="archives/{slug}/index.html",
    )
    nav = soup(site, "archives/diffusion-models-2/index.html").select_one("nav.series")
    assert nav is not None
    assert "生成扩散模型漫谈" in nav.select_one(".series-about").get_text()
    prev = nav.select_one("a[rel=prev]")["href"]
    assert prev.endswith("/archives/diffusion-models-1/")
    transformer = soup(site, "archives/transformer-upgrade-1/index.html")
    assert transformer.select_one("nav.series a[rel=next]") is not None
    assert site.exists("series/sheng-cheng-kuo-san-mo-xing-man-tan.html")
    assert site.exists("series/transformer-sheng-ji-zhi-lu.html")
    assert site.exists("series/index.html")


def test_author_text_is_escaped_everywhere(build_site, nav_theme):
    evil = '<script>alert("x")</script> & co'
    content = {
        "a.md": post("One <i>", "2024-01-01", slug="a", series=evil),
        "b.md": post('Two "q"', "2024-01-02", slug="b", series=evil),
    }
    site = build_site(content, **nav_theme)
    series_files = sorted(p.name for p in (site.output / "series").iterdir())
    assert series_files == ["alertx-co.html", "index.html"]
    pages = [site.read("b.html"), *(site.read(f"series/{f}") for f in series_files)]
    for html in pages:
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    nav = soup(site, "b.html").select_one("nav.series")
    assert [li.get_text() for li in nav.select("li")] == ["One <i>", 'Two "q"']
