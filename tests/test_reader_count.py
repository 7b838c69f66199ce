"""reader_count: parsers of each stats format, path matching, full-site builds."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from conftest import run_pelican
from hypothesis import given
from hypothesis import strategies as st
from pelican.settings import read_settings

from pelican_sujianlin import reader_count
from pelican_sujianlin.reader_count import (
    page_key,
    parse_count,
    popular,
    read_stats_file,
)

DATA = Path(__file__).parent / "data" / "reader_count"
PLUGINS = ["pelican_sujianlin.reader_count", "pelican_sujianlin.citation"]


def post(title: str, slug: str, date: str, readers: str | None = None) -> str:
    meta = f"Readers: {readers}\n" if readers is not None else ""
    return f"Title: {title}\nSlug: {slug}\nDate: {date}\n{meta}\nBody of {title}.\n"


POSTS = {
    "rope.md": post("Transformer升级之路：2、RoPE", "8265", "2021-03-23"),
    "attention.md": post("浅谈Attention", "7921", "2020-11-02"),
    "chinese.md": post("中文的文章", "中文", "2022-05-03"),
    "quiet.md": post("A quiet post", "quiet", "2019-01-01"),
}

KEXUE_URLS = {
    "ARTICLE_URL": "archives/{slug}/",
    "ARTICLE_SAVE_AS": "archives/{slug}/index.html",
}

# --- a minimal theme of our own that includes the partials ------------------

BASE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{% block title %}{{ SITENAME }}{% endblock %}</title></head><body>
{% block content %}{% endblock %}
<aside>{% include "sujianlin/popular.html" %}</aside>
</body></html>
"""
ARTICLE = """{% extends "base.html" %}{% block content %}
<article><h1>{{ article.title }}</h1>
{% include "sujianlin/meta.html" %}
{{ article.content }}
{% include "sujianlin/citation.html" %}
</article>{% endblock %}
"""
LIST = """{% extends "base.html" %}{% block content %}
{% for article in articles %}<article><h2>{{ article.title }}</h2>
{% include "sujianlin/meta.html" %}</article>
{% endfor %}{% endblock %}
"""
PAGE = """{% extends "base.html" %}{% block content %}{{ page.content }}
{% endblock %}
"""


@pytest.fixture
def minimal_theme(tmp_path: Path) -> Path:
    """A theme of a few lines whose templates include the bundle's partials."""
    return make_minimal_theme(tmp_path / "minimal_theme")


def make_minimal_theme(folder: Path) -> Path:
    templates = folder / "templates"
    templates.mkdir(parents=True)
    files = {"base.html": BASE, "article.html": ARTICLE, "page.html": PAGE}
    for name in ("index", "tag", "category", "author", "archives", "period_archives",
                 "tags", "categories", "authors"):  # fmt: skip
        files[f"{name}.html"] = LIST
    for name, text in files.items():
        (templates / name).write_text(text, encoding="utf-8")
    return templates.parent


def build_with(build_site, theme, content=None, **settings):
    return build_site(
        content or POSTS, PLUGINS=PLUGINS, THEME=str(theme), **KEXUE_URLS, **settings
    )


# --- counts and paths ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("73091", 73091),
        ("73,091", 73091),
        (" 73 091 ", 73091),
        ("1_000", 1000),
        (0, 0),
        (12, 12),
        (12.0, 12),
        ("12.0", 12),
        ("-5", None),
        (-5, None),
        ("lots", None),
        ("", None),
        (True, None),
        (1.5, None),
        (None, None),
    ],
)
def test_parse_count(value, expected):
    assert parse_count(value) == expected


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("/archives/8265/", "archives/8265"),
        ("/archives/8265", "archives/8265"),
        ("archives/8265/", "archives/8265"),
        ("archives/8265", "archives/8265"),
        ("/archives/8265/index.html", "archives/8265"),
        ("/archives/8265/index.htm", "archives/8265"),
        ("/archives/8265.html", "archives/8265"),
        ("https://kexue.fm/archives/8265/", "archives/8265"),
        ("http://kexue.fm/archives/8265", "archives/8265"),
        ("//kexue.fm/archives/8265/", "archives/8265"),
        ("/archives/8265/?utm_source=rss&x=1", "archives/8265"),
        ("/archives/8265/#comments", "archives/8265"),
        ("/archives/%E4%B8%AD%E6%96%87/", "archives/中文"),
        ("/archives/中文/", "archives/中文"),
        (
            "https://kexue.fm/archives/%E4%B8%AD%E6%96%87/index.html?p=1",
            "archives/中文",
        ),
        ("  /archives/8265/  ", "archives/8265"),
        ("/", ""),
        ("/index.html", ""),
        ("https://kexue.fm", ""),
        ("/a%20b.html", "a b"),
    ],
)
def test_page_key_table(written, key):
    assert page_key(written) == key


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("/blog/archives/8265/", "archives/8265"),
        ("https://example.org/blog/archives/8265/", "archives/8265"),
        ("archives/8265/", "archives/8265"),
        ("/blog/", ""),
        ("/blogger/x/", "blogger/x"),
    ],
)
def test_page_key_strips_the_path_of_a_site_in_a_subfolder(written, key):
    assert page_key(written, "/blog") == key


# --- the formats, on sample files in each service's real format ----------------


def test_json_counts():
    stats = read_stats_file(DATA / "counts.json")
    assert stats.kind == "JSON"
    assert stats.problems == []
    assert stats.counts == {
        "archives/8265": 333513,
        "archives/中文": 1200,
        "archives/7921": 73091,
    }
    assert stats.lines["archives/7921"] == 4


def test_path_count_csv():
    stats = read_stats_file(DATA / "counts.csv")
    assert stats.kind == "path,count CSV"
    assert stats.problems == []
    assert stats.counts == {
        "archives/8265": 333513,
        "archives/7921": 73091,
        "archives/中文": 1200,
    }


def test_headerless_path_count_csv(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("/archives/8265/,10\n/archives/8265,5\n/x/,2\n", encoding="utf-8")
    stats = read_stats_file(path)
    assert stats.problems == []
    assert stats.counts == {"archives/8265": 15, "x": 2}


def test_goatcounter_export_counts_pageviews_without_bots_and_events():
    stats = read_stats_file(DATA / "goatcounter-export.csv")
    assert stats.kind == "GoatCounter export (version 2)"
    assert stats.problems == []
    # Three human pageviews of 8265 (one with a query string); the bot's row
    # and the "copy-bibtex" event are left out.
    assert stats.counts == {
        "archives/8265": 3,
        "archives/中文": 1,
        "archives/7921": 1,
        "": 1,
        "wp-login.php": 1,
    }
    assert "copy-bibtex" not in stats.counts
    assert stats.lines["wp-login.php"] == 11


def test_goatcounter_export_version_1_header(tmp_path):
    header = (
        "1Path,Title,Event,Bot,Session,FirstVisit,Referrer,Referrer scheme,"
        "Browser,Screen size,Location,Date\n"
    )
    rows = [
        '/a/,A,false,0,1,true,,,Mozilla/5.0,"1,1,1",NL,2020-01-01T00:00:00Z',
        "/a/,A,false,0,2,true,,,Mozilla/5.0,,NL,2020-01-01T00:00:01Z",
        "/a/,A,false,3,3,true,,,curl,,NL,2020-01-01T00:00:02Z",
        "click,,true,0,1,false,,,Mozilla/5.0,,NL,2020-01-01T00:00:03Z",
    ]
    path = tmp_path / "gc.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    stats = read_stats_file(path)
    assert stats.kind == "GoatCounter export (version 1)"
    assert stats.counts == {"a": 2}


def test_goatcounter_export_as_downloaded_gzipped(tmp_path):
    path = tmp_path / "goatcounter-export-kexue-20240306T000000Z-0.csv.gz"
    path.write_bytes(gzip.compress((DATA / "goatcounter-export.csv").read_bytes()))
    assert read_stats_file(path).counts["archives/8265"] == 3


def test_plausible_pages_export_sums_pageviews_per_page():
    stats = read_stats_file(DATA / "plausible-pages.csv")
    assert stats.kind == "Plausible pages export"
    assert stats.problems == []
    assert stats.counts == {"archives/8265": 2870 + 15, "archives/中文": 1200, "": 4100}


def test_plausible_imported_pages_export_sums_days():
    stats = read_stats_file(DATA / "plausible-imported-pages.csv")
    assert stats.kind == "Plausible imported_pages export"
    assert stats.problems == []
    assert stats.counts == {"archives/8265": 130 + 90, "archives/中文": 12}


def test_plausible_dashboard_zip_is_read_from_its_pages_csv(tmp_path):
    path = tmp_path / "Plausible export kexue.fm 2024-01-01  to 2024-03-01 .zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("visitors.csv", "date,visitors,pageviews\n2024-01-01,1,2\n")
        archive.writestr("pages.csv", (DATA / "plausible-pages.csv").read_text("utf-8"))
        archive.writestr("sources.csv", "name,visitors\nGoogle,3\n")
    assert read_stats_file(path).counts["archives/8265"] == 2885


# --- bad files ------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_counts_are_reported_with_their_line(tmp_path):
    path = write(tmp_path, "counts.csv", "path,count\n/a/,12\n/b/,-3\n/c/,lots\n/d/\n")
    stats = read_stats_file(path)
    assert stats.counts == {"a": 12}
    assert len(stats.problems) == 3
    assert stats.problems[0].startswith(f"{path}, line 3: count '-3' for '/b/'")
    assert f"{path}, line 4: count 'lots'" in stats.problems[1]
    assert f"{path}, line 5: too few columns" in stats.problems[2]


def test_bad_json_values_are_reported_with_their_line(tmp_path):
    text = '{\n  "/a/": 12,\n  "/b/": "many",\n  "/c/": -1,\n  "/d/": true\n}\n'
    stats = read_stats_file(write(tmp_path, "counts.json", text))
    assert stats.counts == {"a": 12}
    assert [p.split(": count")[0] for p in stats.problems] == [
        f"{tmp_path / 'counts.json'}, line {n}" for n in (3, 4, 5)
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.json", b'{"/a/": 1,\n "/b/": }', "line 2: not valid JSON"),
        ("list.json", b"[1, 2]", "JSON must be an object"),
        ("other.csv", b"when,where\n1,2\n", "unrecognised header 'when,where'"),
        ("empty.csv", b"\n\n", "the file is empty"),
        ("binary.csv", b"\xff\xfe\x00bad", "cannot read the file"),
        ("broken.csv.gz", b"\x1f\x8b\x08\x00broken", "cannot read the file"),
        ("other.zip", None, "holds no single pages.csv"),
    ],
)
def test_malformed_files_are_reported(tmp_path, name, data, message):
    path = tmp_path / name
    if data is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("visitors.csv", "date,visitors\n")
        data = buffer.getvalue()
    path.write_bytes(data)
    stats = read_stats_file(path)
    assert stats.counts == {}
    assert len(stats.problems) == 1
    assert str(path) in stats.problems[0]
    assert message in stats.problems[0]


@pytest.mark.parametrize("byte", [10, 14])  # a broken deflate stream; a bad CRC
def test_corrupt_gzip_is_reported(tmp_path, byte):
    data = bytearray(gzip.compress((DATA / "goatcounter-export.csv").read_bytes()))
    data[byte] ^= 0xFF
    path = tmp_path / "export.csv.gz"
    path.write_bytes(bytes(data))
    stats = read_stats_file(path)
    assert stats.counts == {}
    assert stats.problems[0].startswith(f"{path}: cannot read the file (")


def test_csv_error_is_reported_with_its_line(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b'path,count\n/a/,1\n"' + b"x" * 140_000 + b'",2\n')
    stats = read_stats_file(path)
    assert stats.problems == [
        f"{path}, line 3: not valid CSV (field larger than field limit (131072))"
    ]
    assert stats.counts == {"a": 1}  # what came before is kept


def test_missing_file_is_reported(tmp_path):
    stats = read_stats_file(tmp_path / "nowhere.json")
    assert "nowhere.json: cannot read the file" in stats.problems[0]


# --- settings -----------------------------------------------------------------


def test_settings_defaults_follow_the_language():
    zh = reader_count.Settings.from_settings({"DEFAULT_LANG": "zh_CN", "PATH": "/c"})
    en = reader_count.Settings.from_settings({"DEFAULT_LANG": "en", "PATH": "/c"})
    assert zh.format.format(count=73091) == "73091位读者"
    assert en.format.format(count=73091) == "73,091 readers"
    assert (zh.popular_count, zh.popular_title, en.popular_title) == (
        10,
        "热门文章",
        "Most read",
    )
    assert zh.files == ()
    assert zh.live == ""


def test_stats_files_are_relative_to_the_content_folder():
    settings = reader_count.Settings.from_settings(
        {"PATH": "/site/content", "READER_COUNT_FILE": ["a.json", "/abs/b.csv"]}
    )
    assert settings.files == (Path("/site/content/a.json"), Path("/abs/b.csv"))


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("kexue", "https://kexue.goatcounter.com"),
        ("https://kexue.goatcounter.com/", "https://kexue.goatcounter.com"),
        ("stats.example.org", "https://stats.example.org"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
        (None, ""),
    ],
)
def test_goatcounter_url(value, url):
    assert reader_count.goatcounter_url(value) == url


# --- full-site builds ---------------------------------------------------------


def meta_line(html: str) -> str:
    start = html.index('<p class="post-meta">')
    return html[start : html.index("</p>", start) + 4]


def test_readers_metadata_shows_in_the_meta_line(build_site, minimal_theme):
    content = {
        **POSTS,
        "rope.md": post("Transformer升级之路：2、RoPE", "8265", "2021-03-23", "73,091"),
    }
    site = build_with(build_site, minimal_theme, content)
    assert site.warnings == []
    line = meta_line(site.read("archives/8265/index.html"))
    assert line == (
        '<p class="post-meta">By 苏剑林 | <time datetime="2021-03-23T00:00:00+00:00">'
        '2021-03-23</time> | <span class="readers">73091位读者</span> | '
        '<a href="#cite">引用</a></p>'
    )
    # No count: that part is left out.
    quiet = meta_line(site.read("archives/quiet/index.html"))
    assert "readers" not in quiet
    assert quiet.startswith('<p class="post-meta">By 苏剑林 | <time')


def test_meta_line_on_list_pages_links_to_each_articles_cite(build_site, minimal_theme):
    content = {**POSTS, "stats.json": (DATA / "counts.json").read_text()}
    site = build_with(
        build_site, minimal_theme, content, READER_COUNT_FILE="stats.json"
    )
    index = site.read("index.html")
    assert index.count('<p class="post-meta">') == 4
    assert 'href="https://blog.example.test/archives/8265/#cite">引用</a>' in index
    assert '<span class="readers">333513位读者</span>' in index
    assert '<a href="#cite">' not in index


def test_meta_escapes_author_names(build_site, minimal_theme):
    content = {
        "x.md": "Title: X\nSlug: x\nDate: 2021-01-01\nAuthor: <b>Eve</b> & Co\n\nx"
    }
    site = build_with(build_site, minimal_theme, content)
    line = meta_line(site.read("archives/x/index.html"))
    assert "By &lt;b&gt;Eve&lt;/b&gt; &amp; Co |" in line


def test_meta_works_with_reader_count_alone(build_site, minimal_theme):
    content = {"x.md": post("X", "x", "2021-01-01", "5")}
    site = build_site(
        content,
        PLUGINS=["pelican_sujianlin.reader_count"],
        THEME=str(minimal_theme),
        **KEXUE_URLS,
    )
    html = site.read("archives/x/index.html")
    assert meta_line(html).endswith('<span class="readers">5位读者</span></p>')
    assert 'id="cite"' not in html


@pytest.mark.parametrize(
    "sample",
    [
        "counts.json",
        "counts.csv",
        "goatcounter-export.csv",
        "plausible-pages.csv",
        "plausible-imported-pages.csv",
    ],
)
def test_each_format_gives_counts_to_the_right_articles(
    build_site, minimal_theme, sample
):
    expected = {
        "counts.json": {"8265": 333513, "7921": 73091, "中文": 1200},
        "counts.csv": {"8265": 333513, "7921": 73091, "中文": 1200},
        "goatcounter-export.csv": {"8265": 3, "7921": 1, "中文": 1},
        "plausible-pages.csv": {"8265": 2885, "中文": 1200},
        "plausible-imported-pages.csv": {"8265": 220, "中文": 12},
    }[sample]
    content = {**POSTS, f"stats/{sample}": (DATA / sample).read_bytes()}
    site = build_with(
        build_site,
        minimal_theme,
        content,
        READER_COUNT_FILE=f"stats/{sample}",
        SITEURL="https://kexue.fm",
    )
    for slug in ("8265", "7921", "中文", "quiet"):
        html = site.read(f"archives/{slug}/index.html")
        if slug in expected:
            assert f'<span class="readers">{expected[slug]}位读者</span>' in html
        else:
            assert 'class="readers"' not in meta_line(html)
    assert not site.exists("stats/" + sample)  # a stats file is not published
    # GoatCounter's sample counts /wp-login.php, which this site does not have.
    unmatched = [w for w in site.warnings if "does not have" in w]
    if sample == "goatcounter-export.csv":
        assert unmatched == [
            f"reader_count: {site.content / 'stats' / sample}: 1 counts are for "
            "pages this site does not have: /wp-login.php (line 11)"
        ]
    else:
        assert site.warnings == []


def test_metadata_wins_over_the_file(build_site, minimal_theme):
    content = {
        **POSTS,
        "rope.md": post("RoPE", "8265", "2021-03-23", "10"),
        "stats.json": json.dumps({"/archives/8265/": 999, "/archives/7921/": 5}),
    }
    site = build_with(
        build_site, minimal_theme, content, READER_COUNT_FILE="stats.json"
    )
    assert '<span class="readers">10位读者</span>' in site.read(
        "archives/8265/index.html"
    )
    assert '<span class="readers">5位读者</span>' in site.read(
        "archives/7921/index.html"
    )
    assert site.warnings == []


def test_several_files_add_up(build_site, minimal_theme):
    content = {
        **POSTS,
        "old.json": json.dumps({"/archives/8265/": 1000}),
        "new.csv": "path,count\n/archives/8265/,234\n",
    }
    site = build_with(
        build_site, minimal_theme, content, READER_COUNT_FILE=["old.json", "new.csv"]
    )
    assert "1234位读者" in site.read("archives/8265/index.html")


def test_popular_articles_most_read_first_with_ties_broken(build_site, minimal_theme):
    content = {
        "a.md": post("A <i>&</i> B", "a", "2020-01-01", "50"),
        "b.md": post("B", "b", "2021-01-01", "50"),
        "c.md": post("C", "c", "2019-01-01", "70"),
        "d.md": post("D", "d", "2018-01-01", "1"),
        "e.md": post("E", "e", "2018-01-01"),
        "pages/about.md": "Title: About\nReaders: 99999\n\nAbout.",
    }
    site = build_with(build_site, minimal_theme, content, POPULAR_ARTICLES_COUNT=3)
    html = site.read("index.html")
    section = html[html.index('<section id="popular">') : html.index("</section>")]
    assert "<h2>热门文章</h2>" in section
    items = section.split("<li>")[1:]
    assert len(items) == 3
    # 70 first; the tie at 50: the newer post first.
    assert 'href="https://blog.example.test/archives/c/">C</a>' in items[0]
    assert '<span class="readers">70位读者</span>' in items[0]
    assert ">B</a>" in items[1]
    assert ">A &amp; B</a>" in items[2]  # the title's tags dropped, & escaped
    assert "About" not in section  # pages are not in the most-read list
    # The list is on every page of the site, pages included.
    assert '<section id="popular">' in site.read("pages/about.html")


def test_popular_ties_are_deterministic():
    def article(readers, source_path):
        return SimpleNamespace(
            readers=readers, date=datetime(2020, 1, 1), source_path=source_path
        )

    same = [article(5, "b.md"), article(5, "a.md"), article(None, "c.md")]
    assert [a.source_path for a in popular(same, 10)] == ["a.md", "b.md"]
    assert [a.source_path for a in popular(same[::-1], 10)] == ["a.md", "b.md"]
    assert popular(same, 0) == []


def test_english_site_format_and_custom_format(build_site, minimal_theme):
    content = {"x.md": post("X", "x", "2021-01-01", "73091")}
    en = build_with(build_site, minimal_theme, content, DEFAULT_LANG="en")
    html = en.read("archives/x/index.html")
    assert '<span class="readers">73,091 readers</span>' in html
    assert '<a href="#cite">Cite</a>' in html
    assert "<h2>Most read</h2>" in html
    custom = build_with(
        build_site, minimal_theme, content, READER_COUNT_FORMAT="阅读 {count:,} 次"
    )
    assert '<span class="readers">阅读 73,091 次</span>' in custom.read(
        "archives/x/index.html"
    )


def test_bad_format_setting_warns_and_falls_back(build_site, minimal_theme):
    content = {"x.md": post("X", "x", "2021-01-01", "7")}
    site = build_with(
        build_site, minimal_theme, content, READER_COUNT_FORMAT="{n} reads"
    )
    assert "7位读者" in site.read("archives/x/index.html")
    assert any(
        w.startswith("READER_COUNT_FORMAT = '{n} reads' is not")
        and "using the default" in w
        for w in site.warnings
    )


def test_bad_metadata_warns_with_file_and_line(build_site, minimal_theme):
    content = {
        "bad.md": "Title: Bad\nSlug: bad\nDate: 2021-01-01\nReaders: lots\n\nx",
        "neg.md": "Title: Neg\nSlug: neg\nDate: 2021-01-01\nTags: a\nReaders: -3\n\nx",
        "good.md": post("Good", "good", "2021-01-01", "3"),
    }
    site = build_with(build_site, minimal_theme, content)
    assert "3位读者" in site.read("archives/good/index.html")
    assert 'class="readers"' not in meta_line(site.read("archives/bad/index.html"))
    assert sorted(site.warnings) == [
        f"reader_count: {site.content / 'bad.md'}, line 4: Readers: 'lots' is not "
        "a number from 0 to 1,000,000,000,000,000; ignored",
        f"reader_count: {site.content / 'neg.md'}, line 5: Readers: '-3' is not "
        "a number from 0 to 1,000,000,000,000,000; ignored",
    ]


def test_bad_stats_file_warns_and_the_site_builds(build_site, minimal_theme):
    content = {
        **POSTS,
        "stats.csv": "path,count\n/archives/8265/,12\n/archives/7921/,many\n/nope/,3\n",
    }
    site = build_with(build_site, minimal_theme, content, READER_COUNT_FILE="stats.csv")
    stats = site.content / "stats.csv"
    assert "12位读者" in site.read("archives/8265/index.html")
    assert sorted(site.warnings) == [
        f"reader_count: {stats}, line 3: count 'many' for '/archives/7921/' "
        "is not a number from 0 to 1,000,000,000,000,000",
        f"reader_count: {stats}: 1 counts are for pages this site does not have: "
        "/nope/ (line 4)",
    ]


def test_unreadable_stats_file_warns_and_the_site_builds(build_site, minimal_theme):
    site = build_with(build_site, minimal_theme, READER_COUNT_FILE="missing.json")
    assert site.exists("archives/8265/index.html")
    assert len(site.warnings) == 1
    assert f"{site.content / 'missing.json'}: cannot read the file" in site.warnings[0]


def test_counts_for_existing_non_article_pages_do_not_warn(build_site, minimal_theme):
    stats = {"/": 10, "/index.html": 3, "/tag/misc.html": 2, "/archives.html": 1}
    content = {**POSTS, "stats.json": json.dumps(stats)}
    content["quiet.md"] = content["quiet.md"].replace("Date:", "Tags: misc\nDate:")
    site = build_with(
        build_site, minimal_theme, content, READER_COUNT_FILE="stats.json"
    )
    assert site.warnings == []


def test_a_changed_file_shows_on_the_next_build(build_site, minimal_theme, tmp_path):
    """Two builds in one process (as ``pelican --autoreload`` runs them)."""
    content = tmp_path / "autoreload"
    content.mkdir()
    for name, text in POSTS.items():
        (content / name).write_text(text, encoding="utf-8")
    stats = content / "stats.json"
    stats.write_text(json.dumps({"/archives/8265/": 100}), encoding="utf-8")
    first = build_with(
        build_site, minimal_theme, content, READER_COUNT_FILE="stats.json"
    )
    stats.write_text(json.dumps({"/archives/8265/": 250}), encoding="utf-8")
    second = build_with(
        build_site, minimal_theme, content, READER_COUNT_FILE="stats.json"
    )
    assert "100位读者" in first.read("archives/8265/index.html")
    assert "250位读者" in second.read("archives/8265/index.html")
    stats.unlink()
    third = build_with(build_site, minimal_theme, content)
    assert 'class="readers"' not in meta_line(third.read("archives/8265/index.html"))


def test_counts_survive_the_content_cache(build_site, minimal_theme, tmp_path):
    content = tmp_path / "cached"
    content.mkdir()
    (content / "x.md").write_text(post("X", "x", "2021-01-01", "42"), encoding="utf-8")
    (content / "y.md").write_text(post("Y", "y", "2021-01-02"), encoding="utf-8")
    (content / "s.json").write_text('{"/archives/y/": 7}', encoding="utf-8")
    cache = {
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        "CACHE_PATH": str(tmp_path / "shared-cache"),
        "READER_COUNT_FILE": "s.json",
    }
    clean = build_with(build_site, minimal_theme, content, **cache)
    (content / "s.json").write_text('{"/archives/y/": 8}', encoding="utf-8")
    cached = build_with(build_site, minimal_theme, content, **cache)
    assert "42位读者" in cached.read("archives/x/index.html")
    assert "7位读者" in clean.read("archives/y/index.html")
    assert "8位读者" in cached.read("archives/y/index.html")


def test_site_in_a_subfolder_matches_full_paths(build_site, minimal_theme):
    content = {**POSTS, "s.json": json.dumps({"/blog/archives/8265/": 9})}
    site = build_with(
        build_site,
        minimal_theme,
        content,
        READER_COUNT_FILE="s.json",
        SITEURL="https://example.org/blog",
    )
    assert "9位读者" in site.read("archives/8265/index.html")


def test_no_counts_builds_the_same_bytes(build_site):
    """A site that uses no counts: same output with the plugin as without."""
    content = {
        "x.md": post("X", "x", "2021-01-01"),
        "pages/about.md": "Title: About\n\nHi.",
    }
    for theme in ("notmyidea", "simple"):
        plain = build_site(content, PLUGINS=[], THEME=theme)
        with_plugin = build_site(
            content, PLUGINS=["pelican_sujianlin.reader_count"], THEME=theme
        )
        assert plain.files() == with_plugin.files()
        assert with_plugin.warnings == plain.warnings


def test_partials_render_nothing_without_counts_or_article(build_site, tmp_path):
    """Included by a theme on a page with no article and no counts: no output."""
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "index.html").write_text(
        '{% extends "!simple/index.html" %}{% block content %}[{% include '
        '"sujianlin/meta.html" %}{% include "sujianlin/popular.html" %}'
        '{% include "sujianlin/citation.html" %}]{% endblock %}',
        encoding="utf-8",
    )
    site = build_site(
        {"x.md": post("X", "x", "2021-01-01")},
        THEME="simple",
        THEME_TEMPLATES_OVERRIDES=[str(overrides)],
    )
    assert "[]" in site.read("index.html")


def test_live_attributes_only_when_enabled(build_site, minimal_theme):
    content = {"x.md": post("X", "中文", "2021-01-01", "73091")}
    site = build_with(
        build_site,
        minimal_theme,
        content,
        READER_COUNT_LIVE="kexue",
        READER_COUNT_FORMAT="{count:,} 次阅读",
        SITEURL="https://example.org/blog",
    )
    html = site.read("archives/中文/index.html")
    assert (
        '<span class="readers" data-goatcounter="https://kexue.goatcounter.com" '
        'data-path="/blog/archives/%E4%B8%AD%E6%96%87/" data-count="73091" '
        'data-shown="73,091" data-sep=",">73,091 次阅读</span>'
    ) in html
    # The live counts (meta.html, popular.html: run once) and the copy button.
    assert html.count("<script>") == 3
    assert html.count("window.sujianlinReaders = true") == 2
    assert "onclick" not in html
    plain = build_with(build_site, minimal_theme, content)
    assert "data-goatcounter" not in plain.read("archives/中文/index.html")
    assert plain.read("archives/中文/index.html").count("<script>") == 1


@pytest.mark.parametrize(
    ("file_keys", "prefix"),
    [
        ({"archives/a", "archives/b"}, ""),
        ({"blog/archives/a", "blog/archives/b", "blog/tag/x"}, "blog"),
        ({"blog/archives/a", "blog/tag/x"}, "blog"),  # tie: the shorter prefix
        ({"tag/x"}, "tag"),
        ({"nothing/here"}, ""),
        ({"a/b/archives/a", "a/b/archives/b"}, "a/b"),
    ],
)
def test_folder_prefix(file_keys, prefix):
    pages = {"archives/a", "archives/b", "x"}
    assert reader_count.folder_prefix(file_keys, pages) == prefix


def test_local_preview_of_a_site_in_a_subfolder_matches(build_site, minimal_theme):
    """Published at /blog/, previewed with SITEURL = "": the counts still match."""
    stats = {"/blog/archives/8265/": 9, "/blog/": 3, "/blog/tag/misc.html": 1}
    content = {**POSTS, "s.json": json.dumps(stats)}
    content["quiet.md"] = content["quiet.md"].replace("Date:", "Tags: misc\nDate:")
    site = build_with(
        build_site,
        minimal_theme,
        content,
        READER_COUNT_FILE="s.json",
        SITEURL="",
        RELATIVE_URLS=True,
    )
    assert "9位读者" in site.read("archives/8265/index.html")
    assert not [w for w in site.warnings if w.startswith("reader_count")]


def test_bad_readers_in_html_and_rest_posts_name_their_line(build_site, minimal_theme):
    content = {
        "a.html": '<html><head><title>A</title>\n<meta name="date" '
        'content="2021-01-01">\n<meta name="slug" content="a">\n'
        '<meta name="readers" content="many">\n</head><body>a</body></html>',
        "b.rst": "B\n#\n\n:date: 2021-01-01\n:slug: b\n:readers: -1\n\nb\n",
    }
    site = build_with(build_site, minimal_theme, content)
    assert sorted(site.warnings) == [
        f"reader_count: {site.content / 'a.html'}, line 4: Readers: 'many' is not "
        "a number from 0 to 1,000,000,000,000,000; ignored",
        f"reader_count: {site.content / 'b.rst'}, line 6: Readers: '-1' is not "
        "a number from 0 to 1,000,000,000,000,000; ignored",
    ]


def test_the_example_site_shows_counts_from_a_stats_file(example_site_copy, tmp_path):
    """The example theme with a Plausible export of the published site."""
    stats = example_site_copy / "content" / "stats" / "pages.csv"
    stats.parent.mkdir()
    stats.write_text(
        "name,visitors,pageviews,bounce_rate,time_on_page\n"
        "/blog/archives/attention-scale/,4000,52000,40,300\n"
        "/blog/archives/momentum-to-adam/,1,1,0,\n"
        "/blog/,900,1200,30,20\n",
        encoding="utf-8",
    )
    settings = example_settings(example_site_copy, tmp_path / "out")
    settings["READER_COUNT_FILE"] = "stats/pages.csv"
    warnings = run_pelican(settings)
    assert warnings == []
    output = tmp_path / "out"
    article = (output / "archives/attention-scale/index.html").read_text("utf-8")
    assert '<span class="readers">52000位读者</span>' in article
    assert '<a href="#cite">引用</a>' in article
    # The metadata wins over the file.
    momentum = (output / "archives/momentum-to-adam/index.html").read_text("utf-8")
    assert '<span class="readers">39820位读者</span>' in momentum
    # The most-read list, on every page, most read first.
    index = (output / "index.html").read_text("utf-8")
    popular = index[index.index('<section id="popular">') :]
    popular = popular[: popular.index("</section>")]
    assert popular.index("52000位读者") < popular.index("47615位读者")
    assert popular.index("47615位读者") < popular.index("39820位读者")
    assert popular.count("<li>") == 10
    # List pages link to each post's own citation block.
    assert 'archives/attention-scale/#cite">引用</a>' in index


def example_settings(folder: Path, output: Path) -> dict:
    settings = dict(read_settings(str(folder / "pelicanconf.py")))
    return {
        **settings,
        "PATH": str(folder / "content"),
        "OUTPUT_PATH": str(output),
        "CACHE_PATH": str(output.parent / "cache"),
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
    }


@pytest.mark.parametrize(
    "plugins",
    [
        [],
        ["pelican_sujianlin.reader_count"],
        ["pelican_sujianlin.citation"],
        PLUGINS,
    ],
)
def test_partials_work_under_strict_undefined(build_site, minimal_theme, plugins):
    """Themes that make undefined variables errors can include the partials,
    whichever of the two plugins is loaded (none: the template loader of
    another plugin of the bundle makes them includable)."""
    from jinja2 import StrictUndefined

    site = build_site(
        {**POSTS, "x.md": post("X", "x", "2021-01-01", "5")},
        PLUGINS=plugins or ["pelican_sujianlin.series"],
        THEME=str(minimal_theme),
        JINJA_ENVIRONMENT={"undefined": StrictUndefined},
        **KEXUE_URLS,
    )
    html = site.read("archives/x/index.html")
    assert ('<span class="readers">5位读者</span>' in html) == (
        "pelican_sujianlin.reader_count" in plugins
    )
    assert ('<section id="cite">' in html) == ("pelican_sujianlin.citation" in plugins)


SEGMENT = st.text(
    alphabet=st.sampled_from("abcxyz019-_.中文扩散模型"), min_size=1, max_size=8
).filter(lambda s: s not in (".", "..") and not s.endswith((".html", ".htm")))


@given(segments=st.lists(SEGMENT, min_size=1, max_size=3))
def test_every_spelling_of_a_path_gives_one_key(segments):
    path = "/".join(segments)
    key = page_key(path)
    encoded = quote(path)
    for spelling in (
        f"/{path}/",
        f"/{path}",
        f"{encoded}/",
        f"/{encoded}/index.html",
        f"https://kexue.fm/{encoded}/?utm_source=x",
        f"//kexue.fm/{path}#top",
        f"/{path}.html",
    ):
        assert page_key(spelling) == key, spelling


def test_one_pelican_instance_rebuilds_with_the_changed_file(tmp_path, minimal_theme):
    """What ``pelican --autoreload`` does: ``run()`` again on the same instance."""
    from conftest import BASE_SETTINGS, isolated_signals, write_content
    from pelican import Pelican

    content, output = tmp_path / "content", tmp_path / "output"
    write_content(content, {**POSTS, "s.json": '{"/archives/8265/": 100}'})
    settings = read_settings(
        override={
            **BASE_SETTINGS,
            **KEXUE_URLS,
            "PATH": str(content),
            "OUTPUT_PATH": str(output),
            "PLUGINS": PLUGINS,
            "THEME": str(minimal_theme),
            "READER_COUNT_FILE": "s.json",
        }
    )
    page = output / "archives" / "8265" / "index.html"
    with isolated_signals():
        pelican = Pelican(settings)
        pelican.run()
        first = page.read_text(encoding="utf-8")
        (content / "s.json").write_text('{"/archives/8265/": 250}', encoding="utf-8")
        pelican.run()
        second = page.read_text(encoding="utf-8")
    assert "100位读者" in first
    assert "250位读者" in second
    assert reader_count.PENDING_KEY not in pelican.settings


def test_i18n_subsites_share_one_stats_file_by_folder():
    """With I18N_SUBSITES each language's site counts its own paths only."""
    sites = {"en": {}, "fr": {"SITEURL": "https://fr.example.test"}}
    main = reader_count.LanguageSites.from_settings(
        {"SITEURL": "https://x.test", "DEFAULT_LANG": "zh", "I18N_SUBSITES": sites}
    )
    assert main.claims("/archives/a/")
    assert main.claims("/english/")  # a folder that only starts like "en"
    assert not main.claims("/en/archives/a/")
    assert not main.claims("https://x.test/en")
    assert main.claims("/fr/archives/a/")  # fr has a host of its own
    english = reader_count.LanguageSites.from_settings(
        {"SITEURL": "https://x.test/en", "DEFAULT_LANG": "en", "I18N_SUBSITES": sites}
    )
    assert english.claims("/en/archives/a/")
    assert english.claims("https://x.test/en/archives/a/index.html")
    assert not english.claims("/archives/a/")
    alone = reader_count.LanguageSites.from_settings({"SITEURL": "https://x.test"})
    assert alone.claims("/en/archives/a/")
