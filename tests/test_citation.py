"""citation: the plain citation, BibTeX (parsed back), keys, partial, .bib files."""

from __future__ import annotations

import pickle
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import bibtexparser
import bibtexparser.middlewares
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pelican_sujianlin import citation
from pelican_sujianlin.citation import (
    absolute_url,
    bibtex_escape,
    bibtex_key,
    citation_bibtex,
    citation_date,
    citation_text,
    default_key_prefix,
    plain_title,
)

PLUGINS = ["pelican_sujianlin.citation", "pelican_sujianlin.reader_count"]
KEXUE = {
    "ARTICLE_URL": "archives/{slug}",
    "ARTICLE_SAVE_AS": "archives/{slug}.html",
    "SITEURL": "https://kexue.fm",
    "SITENAME": "科学空间",
}
ROPE = (
    "Title: Transformer升级之路：2、博采众长的旋转式位置编码\n"
    "Slug: 8265\nDate: 2021-03-23 10:00\n\nRoPE."
)

ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<article><h1>{{ article.title }}</h1>{% include "sujianlin/meta.html" %}
{{ article.content }}{% include "sujianlin/citation.html" %}</article></body></html>
"""
LIST = """<!DOCTYPE html><html><body>{% for article in articles %}<article>
{% include "sujianlin/meta.html" %}{% include "sujianlin/citation.html" %}
</article>{% endfor %}</body></html>
"""


def write_minimal_theme(folder: Path) -> Path:
    """A theme of two templates that show the meta line and the citation."""
    templates = folder / "templates"
    templates.mkdir(parents=True)
    (templates / "article.html").write_text(ARTICLE, encoding="utf-8")
    for name in ("index", "tag", "category", "author", "archives", "period_archives",
                 "tags", "categories", "authors", "page"):  # fmt: skip
        (templates / f"{name}.html").write_text(LIST, encoding="utf-8")
    return folder


@pytest.fixture
def minimal_theme(tmp_path: Path) -> Path:
    return write_minimal_theme(tmp_path / "cite_theme")


def build(build_site, theme, content, **settings):
    return build_site(
        content, PLUGINS=PLUGINS, THEME=str(theme), **{**KEXUE, **settings}
    )


def parse_bibtex(text: str):
    """Parse with bibtexparser 2.x and decode the LaTeX back to Unicode."""
    library = bibtexparser.parse_string(
        text, append_middleware=[bibtexparser.middlewares.LatexDecodingMiddleware()]
    )
    assert library.failed_blocks == []
    assert len(library.entries) == 1
    return library.entries[0]


# --- pure functions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "text"),
    [
        (datetime(2021, 3, 23), "Mar. 23, 2021"),
        (datetime(2021, 5, 3), "May 3, 2021"),
        (datetime(2019, 9, 30), "Sep. 30, 2019"),
        (datetime(2020, 12, 1), "Dec. 1, 2020"),
    ],
)
def test_citation_date(date, text):
    assert citation_date(date) == text


def test_citation_text_chinese_and_english():
    args = (
        "苏剑林",
        datetime(2021, 3, 23),
        "博采众长",
        "https://kexue.fm/archives/8265",
    )
    assert citation_text(*args, chinese=True) == (
        "苏剑林. (Mar. 23, 2021). 《博采众长》[Blog post]. "
        "Retrieved from https://kexue.fm/archives/8265"
    )
    assert citation_text(*args, chinese=False) == (
        "苏剑林. (Mar. 23, 2021). 博采众长 [Blog post]. "
        "Retrieved from https://kexue.fm/archives/8265"
    )
    assert citation_text("", *args[1:], chinese=True).startswith("(Mar. 23, 2021). 《")


def test_citation_bibtex_layout():
    bibtex = citation_bibtex(
        "kexuefm-8265",
        "苏剑林",
        datetime(2021, 3, 23),
        "Transformer升级之路：2、博采众长的旋转式位置编码",
        "https://kexue.fm/archives/8265",
    )
    assert bibtex == (
        "@online{kexuefm-8265,\n"
        "title={Transformer升级之路：2、博采众长的旋转式位置编码},\n"
        "author={苏剑林},\n"
        "year={2021},\n"
        "month={Mar},\n"
        "url={\\url{https://kexue.fm/archives/8265}},\n"
        "}"
    )


@pytest.mark.parametrize(
    "title",
    [
        "Set {x} and {y}",
        "100% sure",
        "Q&A: A & B",
        "soft_max and arg_max",
        "#1 trick",
        "Costs $5",
        "a\\b",
        "x~y and x^2",
        "{}%&_#$\\~^ all of them 全部",
        "{{nested} braces}",
    ],
)
def test_bibtex_titles_parse_back_to_the_same_text(title):
    bibtex = citation_bibtex(
        "kexuefm-x", "苏剑林", datetime(2021, 3, 23), title, "https://kexue.fm/x"
    )
    entry = parse_bibtex(bibtex)
    assert entry.key == "kexuefm-x"
    assert entry.entry_type == "online"
    if "^" not in title:  # pylatexenc decodes \textasciicircum to a modifier letter
        assert entry["title"] == title
    assert entry["author"] == "苏剑林"
    assert entry["year"] == "2021"
    assert entry["month"] == "Mar"


@pytest.mark.parametrize("title", ["a { b", "b } a", "} {", "{{"])
def test_unpaired_braces_still_parse(title):
    bibtex = citation_bibtex("k", "A", datetime(2021, 3, 23), title, "https://x.test/")
    entry = parse_bibtex(bibtex)
    assert "\\textbrace" in bibtex
    assert entry["url"] == "https://x.test/"  # \\url{} decoded


def test_bibtex_escape_table():
    assert bibtex_escape("{}%&_#$\\~^") == (
        r"\{\}\%\&\_\#\$\textbackslash{}\textasciitilde{}\textasciicircum{}"
    )
    assert bibtex_escape("中文 plain") == "中文 plain"


@pytest.mark.parametrize(
    ("slug", "key"),
    [
        ("8265", "8265"),
        ("rope-position", "rope-position"),
        ("中文", "u4e2du6587"),
        ("扩散-1", "u6269u6563-1"),
        ("a b,c{d}", "a-b-c-d"),
        ("x%y#z", "x-y-z"),
        ("", "x"),
    ],
)
def test_bibtex_key_is_valid_for_any_slug(slug, key):
    assert bibtex_key(slug) == key
    entry = parse_bibtex(
        citation_bibtex(f"site-{key}", "A", datetime(2021, 1, 1), "T", "https://x/")
    )
    assert entry.key == f"site-{key}"


def test_distinct_chinese_slugs_keep_distinct_keys():
    assert bibtex_key("扩散一") != bibtex_key("扩散二")


@pytest.mark.parametrize(
    ("sitename", "siteurl", "prefix"),
    [
        ("Scientific Spaces", "https://kexue.fm", "scientificspaces"),
        ("科学空间", "https://kexue.fm", "kexuefm"),
        ("科学空间", "https://www.example.org/blog", "exampleorg"),
        ("科学空间", "", "post"),
        ("My-Blog 2", "", "myblog2"),
    ],
)
def test_default_key_prefix(sitename, siteurl, prefix):
    assert default_key_prefix(sitename, siteurl) == prefix


def test_absolute_url_percent_encodes_chinese_slugs_once():
    assert absolute_url("https://x.test", "archives/中文/") == (
        "https://x.test/archives/%E4%B8%AD%E6%96%87/"
    )
    assert absolute_url("https://x.test", "archives/%E4%B8%AD/") == (
        "https://x.test/archives/%E4%B8%AD/"
    )


def test_plain_title_drops_tags_and_decodes_entities():
    assert plain_title("A &amp; <em>B</em>") == "A & B"
    assert plain_title("x &lt; y") == "x < y"


def fake_article(**fields):
    defaults = {
        "title": "博采众长",
        "url": "archives/8265",
        "save_as": "archives/8265.html",
        "slug": "8265",
        "date": datetime(2021, 3, 23),
        "authors": ["苏剑林"],
    }
    return SimpleNamespace(**{**defaults, **fields})


def site_settings(**settings):
    return citation.Settings.from_settings(
        {"SITEURL": "https://kexue.fm", "SITENAME": "科学空间", "DEFAULT_LANG": "zh",
         **settings}
    )  # fmt: skip


def test_citation_is_built_on_first_use_and_pickles():
    article = fake_article()
    made = citation.Citation(article, site_settings(), citation.BuildNotes())
    article.title = "changed before first use"
    assert made.key == "kexuefm-8265"
    assert "《changed before first use》" in made.text
    copy = pickle.loads(pickle.dumps(made))
    assert (copy.text, copy.bibtex, copy.label) == (made.text, made.bibtex, "引用")
    assert copy._article is None  # the copy keeps values, not the article


def test_relative_url_warns_once_per_build(caplog):
    notes = citation.BuildNotes()
    settings = site_settings(SITEURL="")
    first = citation.Citation(fake_article(), settings, notes)
    second = citation.Citation(
        fake_article(url="archives/b", slug="b"), settings, notes
    )
    assert (first.url, second.url) == ("/archives/8265", "/archives/b")
    assert [r.getMessage() for r in caplog.records] == [
        "citation: SITEURL is empty, so citations give site-relative addresses such "
        "as /archives/8265; set SITEURL (or CITATION_SITEURL) to the published "
        "address"
    ]


# --- full-site builds ---------------------------------------------------------


def cite_section(html: str) -> str:
    start = html.index('<section id="cite">')
    return html[start : html.index("</section>", start) + len("</section>")]


def test_citation_block_on_the_article_page(build_site, minimal_theme):
    site = build(build_site, minimal_theme, {"rope.md": ROPE})
    assert site.warnings == []
    section = cite_section(site.read("archives/8265.html"))
    url = "https://kexue.fm/archives/8265"
    assert (
        f'<p class="cite-notice">转载到请包括本文地址：<a href="{url}">{url}</a></p>'
        in section
    )
    assert (
        '<p class="cite-text">苏剑林. (Mar. 23, 2021). '
        "《Transformer升级之路：2、博采众长的旋转式位置编码》[Blog post]. "
        f"Retrieved from {url}</p>"
    ) in section
    assert (
        '<pre class="cite-bibtex">@online{kexuefm-8265,\n'
        "title={Transformer升级之路：2、博采众长的旋转式位置编码},\n"
        "author={苏剑林},\nyear={2021},\nmonth={Mar},\n"
        f"url={{\\url{{{url}}}}},\n}}</pre>"
    ) in section
    assert '<button type="button" class="cite-copy"' in section
    assert "onclick" not in section
    assert 'class="cite-bib"' not in section  # no .bib files by default
    assert not any(p.suffix == ".bib" for p in site.output.rglob("*"))


def test_special_characters_are_escaped_in_html_and_bibtex(build_site, minimal_theme):
    content = {
        "x.md": "Title: A <b>&</b> {x}_1 #2 50% $3\nSlug: x\nDate: 2021-03-23\n\nx"
    }
    site = build(build_site, minimal_theme, content)
    section = cite_section(site.read("archives/x.html"))
    assert "《A &amp; {x}_1 #2 50% $3》" in section
    bibtex = section[section.index("<pre") : section.index("</pre>")]
    bibtex = bibtex.split(">", 1)[1].replace("&amp;", "&")
    assert "title={A \\& \\{x\\}\\_1 \\#2 50\\% \\$3}," in bibtex
    assert parse_bibtex(bibtex)["title"] == "A & {x}_1 #2 50% $3"


def test_chinese_slug_gives_a_valid_key_and_encoded_url(build_site, minimal_theme):
    content = {"x.md": "Title: 中文\nSlug: 旋转位置编码\nDate: 2021-03-23\n\nx"}
    site = build(build_site, minimal_theme, content)
    html = site.read("archives/旋转位置编码.html")
    section = cite_section(html)
    key = "kexuefm-u65cbu8f6cu4f4du7f6eu7f16u7801"
    assert f"@online{{{key}," in section
    encoded = "https://kexue.fm/archives/%E6%97%8B%E8%BD%AC%E4%BD%8D%E7%BD%AE%E7%BC%96%E7%A0%81"
    assert f"Retrieved from {encoded}</p>" in section
    bibtex = section[section.index("@online") : section.index("</pre>")]
    assert parse_bibtex(bibtex).key == key


def test_english_site_and_settings(build_site, minimal_theme):
    site = build(
        build_site,
        minimal_theme,
        {"rope.md": ROPE},
        DEFAULT_LANG="en",
        CITATION_AUTHOR="Jianlin Su",
        CITATION_KEY_PREFIX="su blog",
    )
    section = cite_section(site.read("archives/8265.html"))
    assert "When reposting, please include this article&#39;s address: <a" in section
    assert (
        '<p class="cite-text">Jianlin Su. (Mar. 23, 2021). '
        "Transformer升级之路：2、博采众长的旋转式位置编码 [Blog post]. Retrieved from "
    ) in section
    assert "@online{su-blog-8265,\n" in section
    assert "author={Jianlin Su}," in section
    assert ">Copy BibTeX</button>" in section


def test_several_authors(build_site, minimal_theme):
    content = {
        "x.md": "Title: X\nSlug: x\nDate: 2021-03-23\n"
        "Authors: 苏剑林, Ada Lovelace\n\nx"
    }
    site = build(build_site, minimal_theme, content)
    html = site.read("archives/x.html")
    assert "author={苏剑林 and Ada Lovelace}," in cite_section(html)
    assert "By 苏剑林, Ada Lovelace |" in html


def test_rest_title_is_plain_text_in_the_citation(build_site, minimal_theme):
    content = {"x.rst": "A & B\n#####\n\n:slug: x\n:date: 2021-03-23\n\nBody.\n"}
    site = build(build_site, minimal_theme, content)
    section = cite_section(site.read("archives/x.html"))
    assert "《A &amp; B》" in section
    assert "title={A \\&amp; B}," in section


def test_empty_siteurl_warns_once_and_uses_site_relative_urls(
    build_site, minimal_theme
):
    content = {"rope.md": ROPE, "b.md": "Title: B\nSlug: b\nDate: 2021-01-01\n\nb"}
    site = build(build_site, minimal_theme, content, SITEURL="")
    section = cite_section(site.read("archives/8265.html"))
    assert "Retrieved from /archives/8265</p>" in section
    assert "@online{post-8265," in section
    citation_warnings = [w for w in site.warnings if w.startswith("citation")]
    assert len(citation_warnings) == 1  # once per build, not once per article
    assert citation_warnings[0] in [
        "citation: SITEURL is empty, so citations give site-relative addresses such "
        f"as /archives/{slug}; set SITEURL (or CITATION_SITEURL) to the published "
        "address"
        for slug in ("8265", "b")
    ]


def test_citation_siteurl_serves_local_previews(build_site, minimal_theme):
    site = build(
        build_site,
        minimal_theme,
        {"rope.md": ROPE},
        SITEURL="",
        RELATIVE_URLS=True,
        CITATION_SITEURL="https://kexue.fm/",
    )
    assert not [w for w in site.warnings if w.startswith("citation")]
    section = cite_section(site.read("archives/8265.html"))
    assert "Retrieved from https://kexue.fm/archives/8265</p>" in section
    assert "@online{kexuefm-8265," in section


def test_empty_siteurl_is_silent_when_no_theme_shows_citations(build_site):
    content = {"rope.md": ROPE}
    plain = build_site(content, PLUGINS=[], SITEURL="", THEME="simple")
    site = build_site(content, PLUGINS=PLUGINS, SITEURL="", THEME="simple")
    assert site.warnings == plain.warnings


def test_bib_files(build_site, minimal_theme):
    content = {
        "rope.md": ROPE,
        "x.md": "Title: 中文 & {x}\nSlug: 中文\nDate: 2022-05-03\n\nx",
    }
    site = build(
        build_site, minimal_theme, content, CITATION_BIB_SAVE_AS="cite/{slug}.bib"
    )
    assert site.warnings == []
    rope = parse_bibtex(site.read("cite/8265.bib"))
    assert rope.key == "kexuefm-8265"
    assert rope["url"] == "https://kexue.fm/archives/8265"
    chinese = parse_bibtex(site.read("cite/中文.bib"))
    assert chinese["title"] == "中文 & {x}"
    section = cite_section(site.read("archives/8265.html"))
    assert (
        '<a class="cite-bib" href="https://kexue.fm/cite/8265.bib" download>'
        "下载 .bib 文件</a>"
    ) in section
    assert 'href="https://kexue.fm/cite/%E4%B8%AD%E6%96%87.bib"' in cite_section(
        site.read("archives/中文.html")
    )


def test_translations_get_bib_files_of_their_own(build_site, minimal_theme):
    """A translation shares its original's slug: its .bib file gets -{lang}."""
    english = "Title: Rotary embeddings\nSlug: 8265\nLang: en\nDate: 2021-03-23\n\nx"
    site = build(
        build_site,
        minimal_theme,
        {"rope.md": ROPE, "rope-en.md": english},
        CITATION_BIB_SAVE_AS="cite/{slug}.bib",
        ARTICLE_LANG_URL="archives/{slug}-{lang}",
        ARTICLE_LANG_SAVE_AS="archives/{slug}-{lang}.html",
    )
    assert "Transformer" in parse_bibtex(site.read("cite/8265.bib"))["title"]
    assert parse_bibtex(site.read("cite/8265-en.bib"))["title"] == "Rotary embeddings"
    assert 'href="https://kexue.fm/cite/8265-en.bib"' in cite_section(
        site.read("archives/8265-en.html")
    )


def test_drafts_link_to_no_bib_file(build_site, minimal_theme):
    """Drafts get no .bib file (i18n_subsites shows an untranslated post on
    the other site as one), so their pages link to none."""
    draft = "Title: 草稿\nSlug: draft\nStatus: draft\nDate: 2022-05-03\n\nx"
    site = build(
        build_site,
        minimal_theme,
        {"rope.md": ROPE, "draft.md": draft},
        CITATION_BIB_SAVE_AS="cite/{slug}.bib",
    )
    assert site.exists("cite/8265.bib")
    assert not site.exists("cite/draft.bib")
    section = cite_section(site.read("drafts/draft.html"))
    assert "@online{kexuefm-draft," in section
    assert 'class="cite-bib"' not in section


def test_list_pages_link_to_each_articles_cite(build_site, minimal_theme):
    site = build(build_site, minimal_theme, {"rope.md": ROPE})
    index = site.read("index.html")
    assert '<a href="https://kexue.fm/archives/8265#cite">引用</a>' in index
    assert '<a href="#cite">引用</a>' in site.read("archives/8265.html")


def test_citation_alone_is_inert_with_builtin_themes(build_site):
    content = {"rope.md": ROPE, "pages/about.md": "Title: About\n\nHi."}
    for theme in ("notmyidea", "simple"):
        plain = build_site(content, PLUGINS=[], THEME=theme)
        cited = build_site(content, PLUGINS=["pelican_sujianlin.citation"], THEME=theme)
        assert plain.files() == cited.files()
        assert cited.warnings == plain.warnings


def test_bad_bib_pattern_warns_and_writes_no_bib_files(build_site, minimal_theme):
    site = build(
        build_site, minimal_theme, {"rope.md": ROPE}, CITATION_BIB_SAVE_AS="{nope}.bib"
    )
    assert site.warnings == [
        "citation: CITATION_BIB_SAVE_AS '{nope}.bib' cannot be filled in "
        "(KeyError: 'nope'); no .bib files are written"
    ]
    assert not any(p.suffix == ".bib" for p in site.output.rglob("*"))
    assert 'class="cite-bib"' not in site.read("archives/8265.html")


@settings(max_examples=200, deadline=None)
@given(
    title=st.text(
        alphabet=st.sampled_from("ab 中文{}%&_#$\\~"), min_size=1, max_size=30
    ).filter(lambda t: t.strip() == t and "  " not in t)
)
def test_any_title_parses_back(title):
    bibtex = citation_bibtex(
        "k-1", "苏剑林", datetime(2021, 3, 23), title, "https://x/"
    )
    entry = parse_bibtex(bibtex)
    if citation.braces_pair_up(title):
        assert entry["title"] == title
    else:
        assert entry["title"] == title.replace("{", "").replace("}", "")


def test_content_cache_gives_the_same_citations(build_site, minimal_theme, tmp_path):
    content = tmp_path / "cached"
    content.mkdir()
    (content / "rope.md").write_text(ROPE, encoding="utf-8")
    cache = {
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        "CACHE_PATH": str(tmp_path / "shared-cache"),
    }
    clean = build(build_site, minimal_theme, content, **cache)
    cached = build(build_site, minimal_theme, content, **cache)
    assert clean.files() == cached.files()
    assert '<section id="cite">' in cached.read("archives/8265.html")
    assert (tmp_path / "shared-cache").is_dir()
