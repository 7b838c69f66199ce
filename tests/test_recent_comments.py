"""Tests of the recent_comments plugin: pure functions, file comments, full builds.

Isso-backed tests (a real Isso server, a real browser) are in test_isso.py.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import example, given, settings
from hypothesis import strategies as st

import pelican_sujianlin.recent_comments as recent_comments_module
from pelican_sujianlin.recent_comments import comment as comment_module
from pelican_sujianlin.recent_comments import files, isso
from pelican_sujianlin.recent_comments.comment import (
    ALLOWED_TAGS,
    BodyRenderer,
    Comment,
    as_sanitiser_writes,
    finish,
    inline_paragraphs,
    protect,
    safe_anchor,
    safe_website,
)
from pelican_sujianlin.recent_comments.excerpt import excerpt
from pelican_sujianlin.theme import SharedItems

DATA = Path(__file__).parent / "data" / "comments"
TEMPLATES = Path(comment_module.__file__).parent.parent / "templates" / "sujianlin"
PLUGIN = "pelican_sujianlin.recent_comments"


def post(slug: str, day: int, title: str | None = None) -> str:
    head = f"Title: {title or slug}\nDate: 2024-02-{day:02d}\nSlug: {slug}\n"
    return f"{head}\n正文 {slug}。\n"


def comment_file(author: str, date: str, body: str, **meta: str) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in meta.items())
    return f"author: {author}\ndate: {date}\n{extra}\n{body}\n"


def write_files(folder: Path, content: dict[str, str]) -> None:
    for name, text in content.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def theme_overrides(folder: Path, partials: bool = True) -> str:
    """Templates that add the partials to Pelican's ``simple`` theme."""
    folder.mkdir(parents=True, exist_ok=True)
    recent = '{% include "sujianlin/recent_comments.html" %}' if partials else ""
    comments = '{% include "sujianlin/comments.html" %}' if partials else ""
    (folder / "base.html").write_text(
        '{% extends "!simple/base.html" %}{% block footer %}'
        + recent
        + "{{ super() }}{% endblock %}",
        encoding="utf-8",
    )
    (folder / "article.html").write_text(
        '{% extends "!simple/article.html" %}{% block content %}{{ super() }}'
        + comments
        + "{% endblock %}",
        encoding="utf-8",
    )
    return str(folder)


@pytest.fixture
def theme(tmp_path: Path) -> str:
    return theme_overrides(tmp_path / "overrides")


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


# --- pure functions ------------------------------------------------------------


def test_split_metadata_reads_keys_continuations_and_body():
    meta, body = files.split_metadata(
        "\ufeffAuthor: 小明\nDate: 2024-01-02\nWebsite: https://x.example/\n"
        "replyto: a\n  continued\n\nbody: not metadata\nsecond line\n"
    )
    assert meta == {
        "author": "小明",
        "date": "2024-01-02",
        "website": "https://x.example/",
        "replyto": "a continued",
    }
    assert body == "body: not metadata\nsecond line"


def test_split_metadata_with_dashes_and_without_body():
    assert files.split_metadata("---\nauthor: a\ndate: 2024\n---\ntext") == (
        {"author": "a", "date": "2024"},
        "text",
    )
    assert files.split_metadata("author: a\ndate: 2024") == (
        {"author": "a", "date": "2024"},
        "",
    )


def walk(comments):
    """Every comment of a thread, parents before their replies."""
    for comment in comments:
        yield comment
        yield from walk(comment.replies)


def make(slug: str, replyto: str = "", day: int = 1) -> Comment:
    return Comment(
        author=slug,
        date=datetime(2024, 1, day, tzinfo=timezone.utc),
        slug=slug,
        replyto=replyto,
    )


def test_read_comment_any_line_ends_and_undecodable_files(tmp_path, caplog):
    render = BodyRenderer()
    text = "author: 甲\ndate: 2024-02-05 10:00\n\n第一行 $x$\n第二行\n\n**段落**\n"
    bodies = []
    for name, newline in (("lf.md", "\n"), ("crlf.md", "\r\n"), ("cr.md", "\r")):
        (tmp_path / name).write_bytes(text.replace("\n", newline).encode("utf-8"))
        bodies.append(files.read_comment(tmp_path / name, render, {}).body)
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0] == (
        '<p>第一行 <span class="mathjax_process">$x$</span>\n第二行</p>\n'
        "<p><strong>段落</strong></p>"
    )
    (tmp_path / "latin.md").write_bytes(text.encode("gbk"))
    assert files.read_comment(tmp_path / "latin.md", render, {}) is None
    assert "latin.md cannot be read" in caplog.text


def test_thread_nests_replies_and_keeps_orphans_and_cycles_at_top():
    a, b, c = make("a"), make("b", "a"), make("c", "b")
    lost = make("lost", "nobody")
    x, y = make("x", "y"), make("y", "x")
    me = make("me", "me")
    top, orphans, cycles = files.thread([a, b, c, lost, x, y, me])
    assert top == [a, lost, x, me]
    assert (x.replies, cycles) == ([y], [[x, y], [me]])
    assert (a.replies, b.replies, c.replies) == ([b], [c], ())
    assert (make("d").anchor, Comment("x", a.date, source="isso", slug="7").anchor) == (
        "comment-d",
        "isso-7",
    )
    assert orphans == [lost]
    assert [c.slug for c in walk(top)] == ["a", "b", "c", "lost", "x", "y", "me"]


def test_threads_are_read_when_shown_and_only_the_last_is_kept(tmp_path, caplog):
    root = tmp_path / "comments"
    write_files(
        root,
        {
            "a/1.md": comment_file("甲", "2024-02-01", "第一条"),
            "a/2.md": comment_file("乙", "2024-02-02", "回复", replyto="1"),
            "a/bad.md": "author: x\n\nno date\n",
            "b/1.md": comment_file("丙", "2024-02-03", "b 的评论"),
        },
    )
    scanned = dict(files.scan(root, {"a", "b"}, {}))
    assert [c.body for c in scanned["a"].comments] == ["", ""]  # not rendered
    assert caplog.text.count("bad.md has no date") == 1
    caplog.clear()
    options = recent_comments_module.Options.from_settings({"PATH": str(tmp_path)})
    reader = recent_comments_module.ThreadReader(options, {})
    a = recent_comments_module.CommentThread(reader, str(root / "a"), "post a", 2)
    b = recent_comments_module.CommentThread(reader, str(root / "b"), "post b", 1)
    assert a
    assert b
    assert reader.last is None  # truth comes from the scan's count
    assert [c.slug for c in walk(a)] == ["1", "2"]
    assert (a[0].body, a[0].replies[0].article) == ("<p>第一条</p>", "post a")
    assert len(a) == 1
    assert caplog.text == ""  # read again without reporting its problems again
    assert reader.last[1] is a._comments()  # asked again: not read again
    assert [c.author for c in b] == ["丙"]
    assert reader.last[0] == str(root / "b")  # one thread held at a time
    assert scanned["b"].path == str(root / "b")
    copy = pickle.loads(pickle.dumps(a))
    assert [c.slug for c in walk(copy)] == ["1", "2"]
    assert copy[0].body == "<p>第一条</p>"


def test_excerpt_is_escaped_text_cut_at_length_with_whole_formulas():
    body = BodyRenderer()("Hello *&lt;world&gt;* $E=mc^2$ and $$\\int_0^1 x$$\n\nnext")
    math = '<span class="mathjax_process">'
    assert excerpt(body, 100) == (
        f"Hello &lt;world&gt; {math}\\(E=mc^2\\)</span> and "
        f"{math}\\(\\int_0^1 x\\)</span> next",
        "Hello &lt;world&gt; E=mc^2 and \\int_0^1 x next",
    )
    assert excerpt(body, 8) == ("Hello &lt;w…", "Hello &lt;w…")
    # E=mc^2 (6) does not fit after 14 characters of text in 19: cut before it
    assert excerpt(body, 19).text == "Hello &lt;world&gt;…"
    assert excerpt(body, 20).text == "Hello &lt;world&gt; E=mc^2…"
    assert excerpt("<p>短评</p>", 35).html == "短评"
    assert excerpt("<p>" + "数" * 40 + "</p>", 35).html == "数" * 35 + "…"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ok.example/a?b=1&c=2", "https://ok.example/a?b=1&amp;c=2"),
        ("HTTP://OK.example", "HTTP://OK.example"),
        ("javascript:alert(1)", ""),
        ("//evil.example/", ""),
        ("/relative", ""),
        ('https://ok.example/" onmouseover="x', ""),
        ('https://ok.example/"x', "https://ok.example/&quot;x"),
        ("data:text/html,hi", ""),
        ("", ""),
    ],
)
def test_safe_website(url, expected):
    assert safe_website(url) == expected


def test_safe_anchor_keeps_only_fragment_safe_characters():
    assert safe_anchor('x" onmouseover="alert(1)') == "x-onmouseover-alert-1"
    assert safe_anchor("评论-1.2_b") == "评论-1.2_b"
    assert safe_anchor("<>") == ""


@pytest.mark.parametrize(
    "uri",
    [
        "/2024/a b/",
        "/2024/a%20b",
        "https://blog.example.test/2024/a%20b/",
        "2024/a b/index.html",
        "/2024/a%20b/index.html?x=1#isso-3",
    ],
)
def test_uri_key_normalises_every_spelling(uri):
    assert isso.uri_key(uri) == "/2024/a b"


def test_renderer_sanitises_and_keeps_math():
    render = BodyRenderer()
    out = render(
        "Hi $a_1 * b_2 * c$ <script>x()</script> [ok](https://e.example) "
        "[bad](javascript:x())"
    )
    assert "$a_1 * b_2 * c$" in out
    assert "<script" not in out
    assert "javascript" not in out
    assert '<a rel="nofollow ugc noopener">bad</a>' in out
    assert '<a href="https://e.example" rel="nofollow ugc noopener">ok</a>' in out


def test_renderer_keeps_only_the_tex_dollar_class():
    out = BodyRenderer()(
        '价格 $5 和 $10，公式 $x$ <span class="read-more tex-dollar">s</span>'
        '<div class="eqref">d</div>'
    )
    assert out.count('<span class="tex-dollar">$</span>') == 2
    assert "$x$" in out
    assert "read-more" not in out
    assert "eqref" not in out


def test_renderer_is_reused_without_leaking_state():
    render = BodyRenderer()
    first = render("Text[^1]\n\n[^1]: note\n\n[ref]: https://e.example/")
    alone = BodyRenderer()("[x][ref]")
    assert render("[x][ref]") == alone, first


def test_isso_style_rendering_shows_typed_html_as_text():
    render = BodyRenderer(raw_html=False, math=False)
    out = render("<b>x</b> &lt;i&gt; *em*")
    assert soup(out).get_text() == "<b>x</b> &lt;i&gt; em"


# --- full builds -------------------------------------------------------------


def test_comment_files_are_not_articles_pages_or_static(build_site):
    site = build_site(
        {
            "first.md": post("first", 1),
            "comments/first/1.md": comment_file("读者", "2024-02-02", "一条评论。"),
            "comments/first/titled.md": "Title: 像文章\nDate: 2024-02-02\n\n正文\n",
            "pages/about.md": "Title: 关于\n\n关于本站。\n",
        },
        STATIC_PATHS=["", "images"],
    )
    names = set(site.files())
    assert "first.html" in names
    assert not any("comments" in name or "titled" in name for name in names), names
    assert "一条评论" not in site.read("index.html")
    assert "像文章" not in site.read("index.html")


def site_with_comments(extra=None):
    content = {
        "first.md": post("first", 1, "第一篇"),
        "second.md": post("second", 2, "第二篇"),
        "comments/first/a.md": comment_file("甲", "2024-02-05 10:00", "第一条 $x^2$"),
        "comments/first/b.md": comment_file(
            "乙",
            "2024-02-06 10:00",
            "回复甲",
            replyto="a",
            website="https://b.example/",
        ),
        "comments/first/c.md": comment_file(
            "丙", "2024-02-07 10:00", "回复乙", replyto="b", email="c@example.com"
        ),
        "comments/second/z.md": comment_file(
            "丁", "2024-02-04 09:00", "**很长很长**的评论" * 10
        ),
    }
    content.update(extra or {})
    return content


def test_file_comments_are_threaded_on_the_article(build_site, theme):
    site = build_site(site_with_comments(), THEME_TEMPLATES_OVERRIDES=[theme])
    page = soup(site.read("first.html"))
    section = page.find("section", id="comments")
    assert section.h2.get_text() == "评论 (3)"
    a = section.find("li", id="comment-a")
    b = a.find("li", id="comment-b")
    c = b.find("li", id="comment-c")
    assert c is not None
    assert a.parent.parent is section
    assert b.find("a", href="https://b.example/")["rel"] == [
        "nofollow",
        "ugc",
        "noopener",
    ]
    assert "c@example.com" not in site.read("first.html")
    assert "$x^2$" in a.find(class_="comment-body").get_text()
    assert site.warnings == []


def test_recent_comments_widget_lists_newest_first(build_site, theme):
    site = build_site(
        site_with_comments(), THEME_TEMPLATES_OVERRIDES=[theme], RECENT_COMMENTS_COUNT=3
    )
    for name in ("index.html", "first.html", "second.html"):
        widget = soup(site.read(name)).find("section", id="recent-comments")
        assert widget.h2.get_text() == "最近评论"
        items = widget.find_all("li")
        assert [li.find(class_="comment-author").get_text() for li in items] == [
            "丙",
            "乙",
            "甲",
        ]
        assert items[0].a["href"] == "https://blog.example.test/first.html#comment-c"
        assert items[0].cite.get_text() == "第一篇"
        # first.html loads MathJax for its comments' math: the formula is
        # typeset there; the other pages show its TeX as text
        excerpt_text = items[2].find(class_="comment-excerpt").get_text()
        typeset = name == "first.html"
        assert excerpt_text == ("第一条 \\(x^2\\)" if typeset else "第一条 x^2")


def test_widget_items_are_rendered_once_per_siteurl(build_site, theme, monkeypatch):
    """Pages at different depths with RELATIVE_URLS each get their own links;
    pages that share a SITEURL share one rendering of the items."""
    renders = []
    real = SharedItems.__call__

    def counting(self, *key, caller):
        # the widget's items are called with (SITEURL, typeset)
        if len(key) == 2 and (key[0], bool(key[1])) not in self.rendered:
            renders.append((key[0], bool(key[1])))
        return real(self, *key, caller=caller)

    monkeypatch.setattr(SharedItems, "__call__", counting)
    site = build_site(
        site_with_comments(),
        THEME_TEMPLATES_OVERRIDES=[theme],
        RELATIVE_URLS=True,
        ARTICLE_URL="archives/{slug}/",
        ARTICLE_SAVE_AS="archives/{slug}/index.html",
    )
    expected = {"index.html": ".", "archives/first/index.html": "../.."}
    for name, siteurl in expected.items():
        widget = soup(site.read(name)).find("section", id="recent-comments")
        hrefs = [li.a["href"] for li in widget.find_all("li")]
        assert hrefs[0] == f"{siteurl}/archives/first/#comment-c", name
        assert len(hrefs) == 4
    assert sorted(renders) == sorted(set(renders))
    assert set(expected.values()) <= {siteurl for siteurl, _ in renders}


def test_excerpt_length_and_english_labels(build_site, theme):
    site = build_site(
        site_with_comments(),
        THEME_TEMPLATES_OVERRIDES=[theme],
        DEFAULT_LANG="en",
        RECENT_COMMENTS_EXCERPT=5,
    )
    widget = soup(site.read("index.html")).find("section", id="recent-comments")
    assert widget.h2.get_text() == "Recent comments"
    excerpts = [e.get_text() for e in widget.find_all(class_="comment-excerpt")]
    # x^2 (3 characters of TeX) does not fit after "第一条 ": cut before it
    assert excerpts == ["回复乙", "回复甲", "第一条…", "很长很长的…"]
    assert soup(site.read("first.html")).find(id="comments").h2.get_text() == (
        "Comments (3)"
    )


def test_bad_comment_files_warn_and_the_rest_builds(build_site, theme):
    site = build_site(
        site_with_comments(
            {
                "comments/first/nodate.md": "author: x\n\nno date\n",
                "comments/first/noauthor.md": "date: 2024-02-09\n\nno author\n",
                "comments/first/baddate.md": comment_file("x", "yesterday-ish", "t"),
                "comments/first/orphan.md": comment_file(
                    "孤儿", "2024-02-08", "lost", replyto="ghost"
                ),
                "comments/first/notes.txt": "not a comment",
                "comments/nosuchpost/1.md": comment_file("x", "2024-02-08", "t"),
                "comments/stray.md": comment_file("x", "2024-02-08", "t"),
            }
        ),
        THEME_TEMPLATES_OVERRIDES=[theme],
    )
    text = "\n".join(site.warnings)
    for expected in (
        r"nodate\.md has no date",
        r"noauthor\.md has no author",
        r"baddate\.md has a date that does not parse",
        r"orphan\.md replies to 'ghost'",
        r"1 orphan comment\(s\)",
        r"notes\.txt is not a Markdown file",
        r"nosuchpost names no article .*1 comment",
        r"stray\.md is not inside an article's folder",
    ):
        assert re.search(expected, text), (expected, text)
    section = soup(site.read("first.html")).find("section", id="comments")
    top = [li["id"] for li in section.ol.find_all("li", recursive=False)]
    assert top == ["comment-a", "comment-orphan"]
    assert section.h2.get_text() == "评论 (4)"


def test_duplicate_identifiers_are_renamed_with_a_warning(build_site, theme):
    site = build_site(
        {
            "first.md": post("first", 1),
            "comments/first/1.md": comment_file("a", "2024-02-02", "one", slug="same"),
            "comments/first/2.md": comment_file("b", "2024-02-03", "two", slug="same"),
        },
        THEME_TEMPLATES_OVERRIDES=[theme],
    )
    assert any("repeats the identifier 'same'" in w for w in site.warnings)
    page = soup(site.read("first.html"))
    assert page.find(id="comment-same")
    assert page.find(id="comment-same-2")


def test_inert_without_comments(build_site, theme, tmp_path):
    content = {
        "first.md": post("first", 1),
        "pages/about.md": "Title: 关于\n\n关于。\n",
    }
    bare = theme_overrides(tmp_path / "bare", partials=False)
    plain = build_site(content, PLUGINS=[], THEME_TEMPLATES_OVERRIDES=[bare])
    bundled = build_site(content, PLUGINS=[PLUGIN], THEME_TEMPLATES_OVERRIDES=[theme])
    assert plain.files() == bundled.files()


def test_content_cache_gives_the_same_output_and_sees_new_comments(
    build_site, theme, tmp_path
):
    content = tmp_path / "cached"
    write_files(content, site_with_comments())
    settings = {
        "THEME_TEMPLATES_OVERRIDES": [theme],
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        "CACHE_PATH": str(tmp_path / "shared-cache"),
    }
    first = build_site(content, **settings)
    second = build_site(content, **settings)
    assert first.files() == second.files()
    write_files(
        content, {"comments/second/new.md": comment_file("新", "2024-03-01", "新评论")}
    )
    third = build_site(content, **settings)
    widget = soup(third.read("index.html")).find("section", id="recent-comments")
    assert widget.li.find(class_="comment-author").get_text() == "新"
    assert soup(third.read("second.html")).find(id="comment-new")


def test_one_markdown_instance_per_build(build_site, theme, monkeypatch):
    created = []
    import markdown_it

    real = markdown_it.MarkdownIt

    class Counting(real):
        def __init__(self, *args, **kwargs):
            created.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(markdown_it, "MarkdownIt", Counting)
    extra = {
        f"comments/second/n{i}.md": comment_file("x", f"2024-02-10 10:{i:02d}", "*t*")
        for i in range(30)
    }
    build_site(site_with_comments(extra), THEME_TEMPLATES_OVERRIDES=[theme])
    assert len(created) == 1


# --- an Isso database written directly (the server is exercised in test_isso.py)


ISSO_SCHEMA = """
CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE,
                      title VARCHAR(256));
CREATE TABLE comments (tid REFERENCES threads(id), id INTEGER PRIMARY KEY,
    parent INTEGER, created FLOAT NOT NULL, modified FLOAT, mode INTEGER,
    remote_addr VARCHAR, text VARCHAR NOT NULL, author VARCHAR, email VARCHAR,
    website VARCHAR, likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0,
    voters BLOB NOT NULL, notification INTEGER DEFAULT 0);
"""


def isso_db(path: Path, threads: dict[int, str], comments: list[tuple]) -> Path:
    """``comments``: (tid, created, mode, text, author, website, email, ip)."""
    connection = sqlite3.connect(path)
    connection.executescript(ISSO_SCHEMA)
    connection.executemany(
        "INSERT INTO threads (id, uri, title) VALUES (?, ?, 't')", threads.items()
    )
    connection.executemany(
        "INSERT INTO comments (tid, created, mode, text, author, website, email,"
        " remote_addr, voters) VALUES (?, ?, ?, ?, ?, ?, ?, ?, x'')",
        comments,
    )
    connection.commit()
    connection.close()
    return path


def ts(day: int, hour: int = 12) -> float:
    return datetime(2024, 3, day, hour, tzinfo=timezone.utc).timestamp()


def test_isso_database_rows_reach_the_widget_safely(build_site, theme, tmp_path):
    db = isso_db(
        tmp_path / "isso.db",
        {
            1: "/first.html",
            2: "https://blog.example.test/second.html/",
            3: "/gone.html",
            4: "/sec%6Fnd.html",
        },
        [
            (1, ts(1), 1, "old *one*", "甲", None, "a@example.com", "10.1.2.3"),
            (2, ts(2), 1, "<b>two</b>", "&lt;b&gt;乙&amp;amp;", None, None, "10.1.2.4"),
            (1, ts(3), 2, "PENDING text", "pending-author", None, None, "10.0.0.9"),
            (1, ts(4), 4, "", "", None, None, "10.0.0.8"),
            (3, ts(5), 1, "on a deleted post", "x", None, None, "10.0.0.7"),
            (4, ts(6), 1, "percent-encoded thread", "丙", None, None, "10.0.0.6"),
        ],
    )
    site = build_site(
        site_with_comments(), THEME_TEMPLATES_OVERRIDES=[theme], ISSO_DB=str(db)
    )
    html_text = site.read("index.html")
    widget = soup(html_text).find("section", id="recent-comments")
    items = widget.find_all("li")
    authors = [li.find(class_="comment-author").get_text() for li in items]
    assert authors[:4] == ["丙", "<b>乙&amp;", "甲", "丙"]
    assert items[0].a["href"] == "https://blog.example.test/second.html#isso-6"
    assert items[1].find(class_="comment-excerpt").get_text() == "<b>two</b>"
    assert items[2].a["href"] == "https://blog.example.test/first.html#isso-1"
    for secret in ("PENDING", "pending-author", "10.", "a@example.com", "deleted post"):
        assert secret not in html_text
    assert any(
        "1 published comment(s) in 1 thread(s) match no article" in w
        and "/gone.html" in w
        for w in site.warnings
    ), site.warnings
    assert widget.get("data-isso") is None  # no ISSO_URL: no client, no script
    assert "<script" not in html_text


@pytest.mark.parametrize("kind", ["missing", "corrupt", "wrong-schema"])
def test_unreadable_isso_database_fails_the_build_unless_told(
    build_site, theme, tmp_path, kind
):
    db = tmp_path / "isso.db"
    if kind == "corrupt":
        db.write_bytes(b"this is not an SQLite database" * 100)
    elif kind == "wrong-schema":
        sqlite3.connect(db).execute("CREATE TABLE other (x)").connection.commit()
    before = db.read_bytes() if db.exists() else None
    content = site_with_comments()
    with pytest.raises(isso.IssoDatabaseError) as failure:
        build_site(content, THEME_TEMPLATES_OVERRIDES=[theme], ISSO_DB=str(db))
    assert failure.value.code == 1
    assert str(db) in str(failure.value)
    assert "ISSO_DB" in str(failure.value)
    site = build_site(
        content,
        THEME_TEMPLATES_OVERRIDES=[theme],
        ISSO_DB=str(db),
        ISSO_DB_REQUIRED=False,
    )
    assert any(str(db) in w and "Isso database" in w for w in site.warnings)
    assert soup(site.read("index.html")).find("section", id="recent-comments").li
    assert (db.read_bytes() if db.exists() else None) == before


# --- XSS corpus -----------------------------------------------------------------

FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "svg", "math", "form", "input", "button",
    "base", "style", "img", "details", "frame", "frameset", "applet", "link", "meta",
    "textarea", "select", "video", "audio", "source",
}  # fmt: skip
SECTION_ATTRIBUTES = {
    "id", "class", "href", "rel", "title", "datetime", "data-source", "data-time",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "background", "poster"}


def our_scripts(page: BeautifulSoup, isso_url: str | None) -> list:
    """The scripts the partials write with ``ISSO_URL``: Isso's client, ours."""
    if not isso_url:
        return []
    template = (TEMPLATES / "recent_comments.html").read_text(encoding="utf-8")
    inline = template.split("<script>", 1)[1].split("</script>", 1)[0].strip()
    return [
        script
        for script in page.find_all("script")
        if script.attrs
        == {"data-isso": f"{isso_url}/", "src": f"{isso_url}/js/embed.min.js"}
        or (not script.attrs and (script.string or "").strip() == inline)
    ]


def mathjax_scripts(page: BeautifulSoup) -> list:
    """The bundle's MathJax (for comment math), which must load ``ui/safe``."""
    found = []
    for script in page.find_all("script"):
        config = (script.string or "").strip()
        if config.startswith("window.MathJax = "):
            assert '"load": ["ui/safe"]' in config
            found.append(script)
        elif script.get("id") == "MathJax-script" and not script.string:
            found.append(script)
    return found


def assert_inert(name: str, html_text: str, isso_url: str | None = None) -> None:
    """No comment-borne element, attribute or link is live in this page."""
    page = soup(html_text)
    for script in our_scripts(page, isso_url) + mathjax_scripts(page):
        script.decompose()
    for tag in page.find_all(True):
        for attribute, value in tag.attrs.items():
            assert not attribute.lower().startswith("on"), (name, str(tag)[:200])
            assert attribute.lower() != "style", (name, str(tag)[:200])
            if attribute.lower() in URL_ATTRIBUTES:
                scheme = re.match(r"\s*([a-zA-Z][\w+.-]*):", str(value))
                assert scheme is None or scheme[1].lower() in {"http", "https"}, (
                    name,
                    str(tag)[:200],
                )
    assert not page.find_all("script"), name
    assert not page.find_all("base"), name
    for section in page.select("#comments, #recent-comments"):
        for tag in section.find_all(True):
            assert tag.name not in FORBIDDEN_TAGS, (name, str(tag)[:200])
            assert set(tag.attrs) <= SECTION_ATTRIBUTES, (name, str(tag)[:200])
            if tag.name == "a" and tag.find_parent(class_="comment-main"):
                href = tag.get("href")
                assert href is None or re.match(r"https?://[^/]", href), str(tag)
                assert tag["rel"] == ["nofollow", "ugc", "noopener"], str(tag)
        for li in section.select("li.comment"):
            assert re.fullmatch(r"comment-[\w.-]+", li["id"]), li["id"]
        for item in section.select(".comment-author"):
            assert item.find(True) is None or item.find_parent(class_="comment-main")
        for item in section.select(".comment-excerpt"):
            for tag in item.find_all(True):  # only formulas, their TeX checked
                assert tag.name == "span", str(tag)
                assert tag.attrs == {"class": ["mathjax_process"]}, str(tag)
                assert tag.find(True) is None, str(tag)


@pytest.mark.parametrize("isso_url", [None, "http://127.0.0.1:9"])
def test_xss_corpus_stays_inert_in_every_page(build_site, theme, tmp_path, isso_url):
    content = tmp_path / "xss-site"
    content.mkdir()
    (content / "first.md").write_text(post("first", 1, "第一篇"), encoding="utf-8")
    (content / "second.md").write_text(post("second", 2), encoding="utf-8")
    corpus = sorted((DATA / "xss").glob("*.md"))
    shutil.copytree(DATA / "xss", content / "comments" / "first")
    site = build_site(
        content,
        THEME_TEMPLATES_OVERRIDES=[theme],
        RECENT_COMMENTS_COUNT=50,
        ISSO_URL=isso_url,
    )
    pages = {n: b.decode() for n, b in site.files().items() if n.endswith(".html")}
    assert len(pages) >= 4
    for name, html_text in pages.items():
        assert_inert(name, html_text, isso_url)
    scripts = {len(our_scripts(soup(text), isso_url)) for text in pages.values()}
    assert scripts <= ({0} if isso_url is None else {1, 2})
    article = soup(pages["first.html"])
    assert len(article.select("#comments li.comment")) == len(corpus)
    assert article.find(id="comments").h2.get_text() == f"评论 ({len(corpus)})"
    widget_items = soup(pages["index.html"]).select("#recent-comments li")
    assert len(widget_items) == len(corpus)
    text = article.find(id="comments").get_text()
    for number in range(1, len(corpus) + 1):
        assert f"xss-{number:02d}" in text, number
    # hostile text is shown as text, not dropped and not interpreted
    assert '"><script>alert(7)</script>' in text
    assert "<script>alert(12)</script>" in text
    assert "{{ 7*7 }}" in text
    assert "https://ok.example/" in pages["first.html"]


def test_avatars_only_when_asked_and_never_the_email(build_site, theme):
    content = site_with_comments()
    plain = build_site(content, THEME_TEMPLATES_OVERRIDES=[theme])
    assert "<img" not in plain.read("first.html")
    site = build_site(
        content,
        THEME_TEMPLATES_OVERRIDES=[theme],
        COMMENTS_AVATAR_URL="https://avatars.example/{hash}?d=identicon",
    )
    html_text = site.read("first.html")
    image = soup(html_text).find(id="comment-c").find("img", class_="comment-avatar")
    digest = hashlib.md5(b"c@example.com").hexdigest()
    assert image["src"] == f"https://avatars.example/{digest}?d=identicon"
    assert re.fullmatch(
        r"https://avatars\.example/[0-9a-f]{32}\?d=identicon", image["src"]
    )
    assert "c@example.com" not in html_text
    meta_a = soup(html_text).find(id="comment-a").find(class_="comment-meta")
    assert meta_a.find("img") is None  # no email, no avatar


def test_avatar_url_is_escaped_in_python(build_site, theme):
    """The partial prints ``comment.avatar`` as it is: the plugin escapes it."""
    site = build_site(
        site_with_comments(),
        THEME_TEMPLATES_OVERRIDES=[theme],
        COMMENTS_AVATAR_URL='https://avatars.example/{hash}?d=identicon&s=40"x',
    )
    html_text = site.read("first.html")
    assert "?d=identicon&amp;s=40&quot;x" in html_text
    assert "&s=40" not in html_text
    image = soup(html_text).find(id="comment-c").find("img", class_="comment-avatar")
    assert image["src"].endswith('?d=identicon&s=40"x')


def test_custom_comments_path(build_site, theme):
    content = {
        "first.md": post("first", 1),
        "talk/first/1.md": comment_file("甲", "2024-02-02", "放在别处"),
    }
    site = build_site(content, THEME_TEMPLATES_OVERRIDES=[theme], COMMENTS_PATH="talk")
    assert soup(site.read("first.html")).find(id="comment-1")
    assert not any(name.startswith("talk") for name in site.files())


@pytest.mark.parametrize("setting", ["/talk/", " talk "])
def test_comments_path_is_read_and_excluded_the_same_way(build_site, theme, setting):
    """Edge slashes and spaces: the folder read is the folder excluded."""
    content = {
        "first.md": post("first", 1),
        "talk/first/1.md": comment_file("甲", "2024-02-02", "放在别处"),
    }
    site = build_site(content, THEME_TEMPLATES_OVERRIDES=[theme], COMMENTS_PATH=setting)
    assert soup(site.read("first.html")).find(id="comment-1")
    assert not any(name.startswith("talk") for name in site.files())
    assert not site.warnings


def test_isso_url_embeds_the_client_and_writes_the_thread_map(
    build_site, theme, tmp_path
):
    db = isso_db(
        tmp_path / "isso.db",
        {1: "/first.html"},
        [(1, ts(1), 1, "hi", "甲", None, None, "10.0.0.1")],
    )
    site = build_site(
        site_with_comments(),
        THEME_TEMPLATES_OVERRIDES=[theme],
        SITEURL="https://blog.example.test/sub",
        ISSO_DB=str(db),
        ISSO_URL="https://comments.example.test/",
    )
    page = soup(site.read("second.html"))
    thread = page.find("section", id="isso-thread")
    assert thread["data-isso-id"] == "/sub/second.html"
    assert thread["data-title"] == "第二篇"
    script = page.find("script", src="https://comments.example.test/js/embed.min.js")
    assert script["data-isso"] == "https://comments.example.test/"
    widget = page.find("section", id="recent-comments")
    assert widget["data-isso"] == "https://comments.example.test"
    assert widget["data-threads"] == "/sub/recent-comments.json"
    assert widget.find("a", href="https://blog.example.test/sub/first.html#isso-1")
    threads = json.loads(site.read("recent-comments.json"))
    first = {"url": "https://blog.example.test/sub/first.html", "title": "第一篇"}
    assert threads["/sub/first.html"] == first
    assert threads["/first.html"] == first  # threads made without the /sub prefix
    # without ISSO_URL there is no client, no script and no thread map
    quiet = build_site(site_with_comments(), THEME_TEMPLATES_OVERRIDES=[theme])
    assert not quiet.exists("recent-comments.json")
    assert "isso" not in quiet.read("second.html")


def test_hidden_and_draft_posts_get_threads_but_stay_out_of_the_widget(
    build_site, theme
):
    content = site_with_comments(
        {
            "hidden.md": post("hidden", 3) + "",
            "draft.md": post("draft", 4),
            "comments/hidden/h.md": comment_file("隐", "2024-03-01", "on hidden"),
            "comments/draft/d.md": comment_file("草", "2024-03-02", "on draft"),
        }
    )
    content["hidden.md"] = content["hidden.md"].replace(
        "Slug:", "Status: hidden\nSlug:"
    )
    content["draft.md"] = content["draft.md"].replace("Slug:", "Status: draft\nSlug:")
    site = build_site(content, THEME_TEMPLATES_OVERRIDES=[theme])
    assert soup(site.read("hidden.html")).find(id="comment-h")
    assert soup(site.read("drafts/draft.html")).find(id="comment-d")
    index = site.read("index.html")
    assert "on hidden" not in index
    assert "on draft" not in index
    assert not [w for w in site.warnings if "names no article" in w]


def test_bad_count_settings_warn_and_use_defaults(build_site, theme):
    site = build_site(
        site_with_comments(),
        THEME_TEMPLATES_OVERRIDES=[theme],
        RECENT_COMMENTS_COUNT="many",
        RECENT_COMMENTS_EXCERPT=0,
    )
    assert any("RECENT_COMMENTS_COUNT = 'many'" in w for w in site.warnings)
    assert any("RECENT_COMMENTS_EXCERPT = 0" in w for w in site.warnings)
    widget = soup(site.read("index.html")).find("section", id="recent-comments")
    assert len(widget.find_all("li")) == 4


HOSTILE_PIECES = [
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "<a href=", '"', "'",
    "javascript:", "JaVa&#x09;script:", "&#106;", "&lt;", "&", "<", ">", "`", "```",
    "$", "$$", "\\(", "\\)", "[x](", ")", "![i](", "<svg onload=1>", "<style>",
    "<!--", "-->", "<![CDATA[", "]]>", "\n", "\n\n", "> ", "* ", "1. ", "    ",
    "onmouseover=", "style=", "<iframe>", "data:text/html,", "<b>", "</b>", "文",
    "https://ok.example/", "<math>", "<mglyph>", "<a href='javascript:1'>",
]  # fmt: skip


@given(st.lists(st.sampled_from(HOSTILE_PIECES), max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_rendered_bodies_never_carry_live_markup(text):
    out = RENDERER(text)
    page = soup(f"<div>{out}</div>")
    for tag in page.find_all(True):
        assert tag.name in ALLOWED_TAGS | {"div"}, out
        for attribute, value in tag.attrs.items():
            assert attribute in {"href", "title", "rel", "class"}, out
            if attribute == "href":
                assert re.match(r"https?://", value), out
            if attribute == "class":
                assert value in (["tex-dollar"], ["mathjax_process"]), out
    assert "<script" not in out.lower()
    short = excerpt(out, 35)
    assert "<" not in short.text
    assert ">" not in short.text
    tags = soup(f"<i>{short.html}</i>").find_all(True)
    assert {tag.name for tag in tags} <= {"i", "span"}


RENDERER = BodyRenderer()


PROSE_ALPHABET = st.sampled_from(
    [
        *"评论很好吗？。，、：；“”（）abcXYZ019 .,:;'\"()/%?-+=>#*_\\$`[]<>&!~{}|",
        *["\n", "\n\n", "\n\n\n", "  ", "\u3000", "\u00a0", "\t", "\r\n", "\u2028"],
        *["&lt;", "&amp;", "http://x.example/", "    ", "---", "==="],
    ]
)


@given(st.lists(PROSE_ALPHABET, max_size=40).map("".join))
@settings(max_examples=1500, deadline=None)
@example("` 评    `")  # one space goes from each end of a code span, not all
def test_plain_prose_shortcut_gives_what_markdown_gives(text):
    for render in (RENDERER, ISSO_RENDERER):
        assert render(text) == render(text, shortcut=False), text


@given(
    st.lists(
        st.sampled_from(
            [*"评论很好吗？。，abc019 .,:;'\"()/%?", "\n", "\n\n", "\u00a0"]
        ),
        max_size=40,
    ).map("".join)
)
@settings(max_examples=800, deadline=None)
def test_plain_prose_shortcut_on_prose_like_text(text):
    assert RENDERER(text) == RENDERER(text, shortcut=False), text


def test_shortcut_is_taken_for_plain_chinese_and_not_for_lists():
    assert inline_paragraphs("感谢博主的分享，式子推导得非常清楚。\n\n期待下一篇！")
    assert not inline_paragraphs("请问\\beta_t的取值？")
    assert not inline_paragraphs("1. 列表")


ISSO_RENDERER = BodyRenderer(raw_html=False, math=True)


# Pieces Markdown reads (math, code, strong, and everything that must send a
# comment to Markdown instead: escapes, links, HTML, entities, one-star and
# underscore emphasis, block starts, edge whitespace) among plain text.
INLINE_PIECES = [
    *"评论吗？。，ab1 .'\"!{}|#~-+=>*_$`[]<>&\\＄😀",
    *["\n", "\n\n", "\n\n\n", " ", "  ", "\u00a0", "\u3000", "\t", "\u2028"],
    *["**", "***", "``", "$x$", "$\\beta_t$", "$a<b$", "$a&b$", "$$\na\n$$", "$a`b$"],
    *["**粗**", "`a&b`", "`a<b`", "`*`", "`_x_`", "`\\`", "`$x$`", "\\(a\\)", "\\$"],
    *["\\eqref{x}", "x ** y", "$5", "&lt;", "<b>", "<!--", "1. ", "- ", "> ", "* "],
    *["# ", "~~~", "```", "[x](http://a.example/)", "\\begin{equation}", "\\`"],
]  # fmt: skip


@given(st.lists(st.sampled_from(INLINE_PIECES), max_size=30).map("".join))
@settings(max_examples=3000, deadline=None)
@example("评**`*`**")  # a backtick after ** is punctuation: no strong
@example("**？**评")  # a full-width "？" is punctuation: no strong
@example("评**😀**")  # so is a symbol, to markdown-it
def test_inline_shortcut_writes_what_markdown_writes(text):
    """The shortcut's HTML, before and after the sanitiser, is Markdown's."""
    protected, _ = protect(text, math=True)
    fast = inline_paragraphs(protected)
    if fast is not None:
        slow = RENDERER.md.render(protected).rstrip("\n")
        assert as_sanitiser_writes(fast) == as_sanitiser_writes(slow), text
    assert RENDERER(text) == RENDERER(text, shortcut=False), text


@given(st.lists(st.sampled_from(INLINE_PIECES), max_size=30).map("".join))
@settings(max_examples=3000, deadline=None)
def test_shortcut_without_math_writes_what_isso_flavour_writes(text):
    """The Isso flavour's shortcut is its Markdown's HTML too."""
    protected, _ = protect(text, math=False)
    fast = inline_paragraphs(protected)
    if fast is not None:
        mark = comment_module.AMPERSAND_MARK
        slow = ISSO_RENDERER.md.render(protected.replace("&", mark)).rstrip("\n")
        slow = slow.replace(mark, "&amp;")
        assert as_sanitiser_writes(fast) == as_sanitiser_writes(slow), text
    assert ISSO_RENDERER(text) == ISSO_RENDERER(text, shortcut=False), text


HOSTILE_PIECES = [
    *INLINE_PIECES,
    *["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&#60;b&#62;"],
    *["$<script>$", "`<img src=x>`", '$"onmouseover="x$', "javascript:x", "\u2028"],
]  # fmt: skip


@given(st.lists(st.sampled_from(HOSTILE_PIECES), max_size=30).map("".join))
@settings(max_examples=3000, deadline=None)
def test_shortcut_html_is_safe_without_the_sanitiser(text):
    """What the shortcut writes has no element but p, strong, code and the
    escaped dollar's span, no other attribute, and nothing the sanitiser would
    take out."""
    for math in (True, False):
        protected, pieces = protect(text, math=math)
        fast = inline_paragraphs(protected)
        if fast is None:
            continue
        written = as_sanitiser_writes(fast)
        assert RENDERER.cleaner.clean(written) == written, text
        html_text = finish(written, pieces)
        for element in BeautifulSoup(html_text, "html.parser").find_all(True):
            if element.name == "span":
                classes = element.attrs["class"]
                assert classes in (["tex-dollar"], ["mathjax_process"]), html_text
            else:
                assert element.name in {"p", "strong", "code"}, html_text
                assert element.attrs == {}, html_text


def test_plain_prose_comments_never_load_the_sanitiser(tmp_path):
    """markdown-it is loaded only when a comment needs Markdown, nh3 only
    when the Markdown holds what markdown-it does not write safely itself."""
    script = (
        "import sys\n"
        "from pelican_sujianlin.recent_comments.comment import BodyRenderer\n"
        "render = BodyRenderer()\n"
        "render('请问$\\\\beta_t$的取值？这里的**近似**呢？')\n"
        "render('还有`x+y`这一步。')\n"
        "assert 'nh3' not in sys.modules\n"
        "assert 'markdown_it' not in sys.modules\n"
        "print(render('[链接](http://a.example/)'))\n"
        "assert 'nh3' not in sys.modules\n"
        "assert 'markdown_it' in sys.modules\n"
        "print(render('<b>粗</b>'))\n"
        "assert 'nh3' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert 'rel="nofollow ugc noopener"' in done.stdout


def test_isso_flavour_keeps_ampersands_in_link_addresses():
    """An Isso comment's links keep their "&" (markdown-it percent-encodes
    the mark that hides it from the entity decoder)."""
    for renderer in (ISSO_RENDERER, BodyRenderer(raw_html=True)):
        body = renderer("[x](http://a.example/?a=1&b=2) <http://b.example/?c=1&d=2>")
        assert 'href="http://a.example/?a=1&amp;b=2"' in body, body
        assert 'href="http://b.example/?c=1&amp;d=2"' in body, body
    mark = comment_module.AMPERSAND_MARK
    typed = ISSO_RENDERER("[x](http://a.example/%EE%80%80) a&b")
    assert "%EE%80%80" in typed, typed
    assert "a&amp;b" in typed, typed
    assert comment_module.ampersand_mark("%EE%80%80") != mark


def test_isso_flavour_keeps_private_use_characters_as_typed():
    mark = comment_module.AMPERSAND_MARK
    for text in (f"a{mark}b", f"a{mark}b **x** &lt;", f"`{mark}&`"):
        out = ISSO_RENDERER(text)
        assert mark in out, out
        assert out.count("&amp;") == text.count("&"), out


def test_inline_shortcut_is_taken_for_math_code_and_strong():
    for text in (
        "请问$\\beta_t$的取值有什么讲究吗？",
        "这里的**近似**是不是要求$t$足够小？\n\n我觉得可以用`torch.linalg.eigh`。",
        "式$(1)$和\\eqref{eq:a}，价格\\$5。",
    ):
        assert inline_paragraphs(protect(text, math=True)[0]) is not None, text
    for text in ("*斜体*", "a_b", "[链接](http://a.example/)", "- 列表", "a\\*b"):
        assert inline_paragraphs(protect(text, math=True)[0]) is None, text


def test_translations_share_the_thread_and_the_widget_links_the_original(
    build_site, theme
):
    content = site_with_comments()
    content["first-en.md"] = (
        "Title: First\nDate: 2024-02-01\nSlug: first\nLang: en\n\nBody.\n"
    )
    site = build_site(content, THEME_TEMPLATES_OVERRIDES=[theme])
    assert soup(site.read("first-en.html")).find(id="comment-c")
    assert soup(site.read("first.html")).find(id="comment-c")
    widget = soup(site.read("first-en.html")).find("section", id="recent-comments")
    hrefs = [li.a["href"] for li in widget.find_all("li")]
    assert hrefs[0] == "https://blog.example.test/first.html#comment-c"
    assert len(hrefs) == 4
