"""The equations plugin: numbering (pure), property tests, real site builds."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from pelican import signals
from pelican.settings import DEFAULT_CONFIG

from pelican_sujianlin import equations
from pelican_sujianlin.equations import (
    EquationError,
    XRef,
    absolute_eqrefs,
    font_url,
    locate,
    number_equations,
    read_display,
    scan_html,
)

TAGS = re.compile(r"\\tag\{([^{}]*)\}")
IDS = re.compile(r'id="(eq-[^"]+)"')
LINKS = re.compile(r'<a class="eqref" href="([^"]*)">([^<]*)</a>')


def numbered(html: str, prefix: str = "eq-p"):
    return number_equations(html, prefix)


# --- the pure numbering ----------------------------------------------------------


def test_display_math_numbered_only_with_a_label():
    result = numbered("<p>$$a$$ $$b\\label{eq:b}$$ \\[c\\] \\[d \\label{eq:d}\\]</p>")
    assert result.html == (
        '<p>$$a$$ <span class="equation" id="eq-p-1">$$b \\tag{1}$$</span> \\[c\\] '
        '<span class="equation" id="eq-p-2">\\[d \\tag{2}\\]</span></p>'
    )
    assert result.labels == {"eq:b": ("1", "eq-p-1"), "eq:d": ("2", "eq-p-2")}


def test_environments_numbered_without_a_label_starred_ones_not():
    result = numbered(
        "<p>\\begin{equation}a\\end{equation}\\begin{equation*}b\\end{equation*}"
        "\\begin{multline}c\\\\d\\end{multline}</p>"
    )
    assert TAGS.findall(result.html) == ["1", "2"]
    assert "\\begin{equation*}b\\end{equation*}" in result.html
    assert "c\\\\d \\tag{2}\\end{multline}" in result.html


def test_rows_of_align_numbered_each_unless_notag():
    source = (
        "<p>\\begin{align}a &amp;= b \\label{eq:a}\\\\ c &amp;= d \\notag\\\\"
        " e &amp;= f\\nonumber \\\\ g &amp;= h \\label{eq:g}\\\\\n\\end{align}</p>"
    )
    result = numbered(source)
    assert TAGS.findall(result.html) == ["1", "2"]
    assert result.labels == {"eq:a": ("1", "eq-p-1"), "eq:g": ("2", "eq-p-2")}
    # every numbered row is linkable: one element per id
    assert IDS.findall(result.html) == ["eq-p-1", "eq-p-2"]
    assert "\\label" not in result.html


@pytest.mark.parametrize("env", ["gather", "eqnarray", "flalign"])
def test_rows_of_other_multirow_environments(env):
    result = numbered(f"\\begin{{{env}}}a\\\\b\\\\c\\end{{{env}}}")
    assert TAGS.findall(result.html) == ["1", "2", "3"]


def test_alignat_argument_stays_in_the_head():
    result = numbered("\\begin{alignat}{2}a&=b\\\\c&=d\\end{alignat}")
    assert result.html.count("\\tag") == 2
    assert "\\begin{alignat}{2}a&=b \\tag{1}" in result.html


def test_nested_environments_are_one_row():
    source = (
        "$$\\begin{equation}f=\\begin{cases}1 &amp; x\\\\0\\end{cases}"
        "\\label{eq:f}\\end{equation}$$ \\begin{equation}\\begin{split}a\\\\b"
        "\\end{split}\\end{equation} \\begin{align}x=\\begin{aligned}a\\\\b"
        "\\end{aligned}\\end{align}"
    )
    result = numbered(source)
    assert TAGS.findall(result.html) == ["1", "2", "3"]
    assert "\\end{cases} \\tag{1}\\end{equation}$$" in result.html
    assert "\\end{split} \\tag{2}\\end{equation}" in result.html


def test_author_tags_are_kept_and_take_no_number():
    result = numbered(
        "$$a\\tag{*}\\label{eq:star}$$ \\begin{equation}b\\label{eq:b}\\end{equation}"
        " \\eqref{eq:star}"
    )
    assert TAGS.findall(result.html) == ["*", "1"]
    assert result.labels["eq:star"] == ("*", "eq-p-t1")
    assert '<a class="eqref" href="#eq-p-t1">(*)</a>' in result.html


def test_references_in_text_and_inside_math_forward_and_backward():
    source = (
        "<p>式$\\eqref{eq:b}$ 与 \\(\\ref{eq:b}\\) 及 $x=\\eqref{eq:b}+1$</p>"
        "<p>$$y\\label{eq:b}$$</p><p>前面\\eqref{eq:b}</p>"
    )
    result = numbered(source)
    assert result.html == (
        '<p>式<a class="eqref" href="#eq-p-1">(1)</a> 与 '
        '<a class="eqref" href="#eq-p-1">1</a> 及 $x=\\href{#eq-p-1}{(1)}+1$</p>'
        '<p><span class="equation" id="eq-p-1">$$y \\tag{1}$$</span></p>'
        '<p>前面<a class="eqref" href="#eq-p-1">(1)</a></p>'
    )
    assert result.problems == []


def test_unknown_label_and_duplicate_label_are_problems():
    result = numbered(
        "$$a\\label{eq:a}$$ $$b\\label{eq:a}$$ \\eqref{eq:nope} \\ref{eq:nope}"
    )
    assert result.html.endswith(
        '<span class="eqref eqref-missing">(??)</span> '
        '<span class="eqref eqref-missing">??</span>'  # \\ref: no parentheses
    )
    assert [p.message for p in result.problems] == [
        "label 'eq:a' is defined twice (MathJax: Label 'eq:a' multiply defined)",
        "unknown label 'eq:nope'",
    ]
    assert result.labels == {"eq:a": ("1", "eq-p-1")}


def test_label_on_an_unnumbered_equation_is_a_problem():
    result = numbered("\\begin{align}a\\label{eq:a}\\notag\\end{align} \\eqref{eq:a}")
    assert {p.message for p in result.problems} == {
        "label 'eq:a' is on an unnumbered equation (its row has \\notag): "
        "it cannot be linked",
        "unknown label 'eq:a'",
    }


def test_code_tags_and_attributes_are_not_math():
    source = (
        "<pre><code>$$a\\label{x}$$</code></pre><code>\\eqref{x}</code>"
        '<a title="$b$">t</a><!-- $$c\\label{y}$$ --><script>"$d$"</script>'
    )
    result = numbered(source)
    assert result.html == source
    assert not result.has_math


def test_math_never_spans_a_tag():
    assert scan_html('<span class="tex-dollar">$</span>5 and $x$') == [
        ("inline", 39, 42)
    ]


def test_references_only_is_not_math():
    result = numbered("$$a\\label{a}$$")
    assert result.has_math
    only_refs = numbered("see $\\eqref{a}$")
    assert not only_refs.has_math


def test_cross_article_references_are_marked_for_later():
    result = numbered("\\eqref{other-post/eq:loss} and $x=\\ref{other/eq:1}$")
    assert result.xrefs == [
        XRef("eqref", "other-post", "eq:loss", False),
        XRef("ref", "other", "eq:1", True),
    ]
    assert result.problems == []


def test_text_without_math_is_returned_as_it_is():
    text = "<p>no math here, 5$ only</p>"
    assert numbered(text).html is text


def test_rows_split_only_at_their_own_level():
    tex = (
        "\\begin{align}a\\\\b\\begin{cases}c\\\\d\\end{cases}{e\\\\f}\\\\g\\end{align}"
    )
    slots = read_display(tex).slots
    assert [(s.env, s.top) for s in slots] == [("align", False)] * 3 + [("", True)]


def test_absolute_eqrefs_touches_only_equation_links():
    text = (
        '<a class="eqref" href="#eq-1">(1)</a><a href="#fn:1">1</a>$\\href{#eq-1}{(1)}$'
    )
    assert absolute_eqrefs(text, "https://s.test/a.html") == (
        '<a class="eqref" href="https://s.test/a.html#eq-1">(1)</a>'
        '<a href="#fn:1">1</a>$\\href{https://s.test/a.html#eq-1}{(1)}$'
    )


def test_equation_labels_is_the_documented_mapping_and_pickles():
    import pickle

    result = numbered(
        "$$\\begin{align}a\\label{eq:a}\\\\ b\\tag{*}\\label{eq:b}\\end{align}$$",
        "eq-post",
    )
    labels = equations.EquationLabels(result.labels, "eq-post")
    expected = {"eq:a": ("1", "eq-post-1"), "eq:b": ("*", "eq-post-t1")}
    assert result.labels == expected
    assert labels == expected
    assert dict(labels.items()) == expected
    assert len(labels) == 2
    assert labels.get("eq:a") == ("1", "eq-post-1")
    assert labels.get("eq:z") is None
    assert pickle.loads(pickle.dumps(labels)) == expected
    assert not equations.EquationLabels({}, "eq-post")
    assert list(equations.EquationLabels({}, "eq-post")) == []
    odd = {"a\0b": ("1", "eq-post-1"), "": ("2", "eq-post-2")}  # no label is lost
    assert equations.EquationLabels(odd, "eq-post") == odd
    alone = {"": ("1", "x")}
    assert dict(equations.EquationLabels(alone, "eq-post")) == alone
    in_order = {f"eq:{n}": (str(n), f"eq-post-{n}") for n in (1, 2, 3)}
    kept = equations.EquationLabels(in_order, "eq-post")
    assert kept == in_order
    assert kept.__getstate__()[1] == range(1, 4)  # (1), (2), (3): no tuple kept
    assert pickle.loads(pickle.dumps(kept)) == in_order
    assert kept.get("eq:4") is None


def test_locate_and_font_url():
    assert locate("a\nb \\eqref{x}\n\\eqref{x}", "\\eqref{x}", 1) == 3
    assert locate("a", "b") is None
    assert (
        font_url("/node_modules/mathjax/tex-mml-chtml.js") == "/node_modules/@mathjax"
    )
    assert font_url("https://cdn.jsdelivr.net/npm/mathjax@4/tex-mml-chtml.js") == ""


# --- property tests ----------------------------------------------------------------

LABEL = st.from_regex(r"[a-z][a-z0-9:._-]{0,6}", fullmatch=True)


@st.composite
def documents(draw):
    """HTML with display equations (some labelled), references and noise."""
    parts: list[str] = []
    labels = draw(st.lists(LABEL, unique=True, max_size=8))
    pending = list(labels)
    for _ in range(draw(st.integers(0, 12))):
        choice = draw(st.integers(0, 6))
        label = pending.pop() if pending and draw(st.booleans()) else None
        mark = f"\\label{{{label}}}" if label else ""
        if choice == 0:
            parts.append(f"<p>$$x_1{mark}$$</p>")
        elif choice == 1:
            parts.append(f"\\begin{{equation}}a{mark}\\end{{equation}}")
        elif choice == 2:
            rows = draw(st.integers(1, 4))
            body = "\\\\".join(
                f"r{i}"
                + (mark if i == 0 else "")
                + draw(st.sampled_from(["", "\\notag", "\\label{dup}"]))
                for i in range(rows)
            )
            parts.append(f"\\begin{{align}}{body}\\end{{align}}")
        elif choice == 3 and labels:
            target = draw(st.sampled_from([*labels, "missing"]))
            parts.append(draw(st.sampled_from(["$\\eqref{%s}$", "\\ref{%s}"])) % target)
        elif choice == 4:
            parts.append(
                draw(st.sampled_from(["<p>$5 和 $10</p>", "<code>$$a$$</code>"]))
            )
        elif choice == 5:
            parts.append(f"\\[y{mark}\\]")
        else:
            noise = st.sampled_from([*"ab $\\{}_>\n", "&lt;", "a < b"])
            parts.append("<p>" + "".join(draw(st.lists(noise, max_size=8))) + "</p>")
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(documents())
def test_numbering_properties(document):
    result = numbered(document)
    numbers = [int(n) for n in TAGS.findall(result.html) if n.isdigit()]
    assert numbers == list(range(1, len(numbers) + 1))
    ids = IDS.findall(result.html)
    assert len(ids) == len(set(ids))
    assert {f"eq-p-{n}" for n in numbers} <= set(ids)
    for number, element_id in result.labels.values():
        assert element_id in ids
        assert number.isdigit() or number
    assert len({i for _, i in result.labels.values()}) <= len(result.labels)
    for href, _ in LINKS.findall(result.html):
        assert href[1:] in ids
    assert "\\label" not in re.sub(r"<code>.*?</code>", "", result.html)


@settings(max_examples=50, deadline=None)
@given(documents(), documents())
def test_ids_unique_when_two_posts_share_a_page(first, second):
    page = numbered(first, "eq-first").html + numbered(second, "eq-second").html
    ids = IDS.findall(page)
    assert len(ids) == len(set(ids))


# --- real site builds --------------------------------------------------------------

THEME_HEAD = (
    '{% extends "!theme/base.html" %}{% block head %}{{ super() }}'
    '{% include "sujianlin/mathjax.html" %}{% endblock %}'
)

FIRST = """Title: 第一篇
Date: 2024-01-02
Slug: first
Tags: math

先看式$\\eqref{eq:loss}$，其中*强调*仍是 Markdown：
$$
L = \\sum_i x_i^2 \\label{eq:loss}
$$
然后
\\begin{align}
a_1 &= b_1 \\label{eq:a} \\\\
c_1 &= d_1 \\notag \\\\
e_1 &= f_1 \\label{eq:e}
\\end{align}
引用\\eqref{eq:a}、\\ref{eq:e}，以及第二篇的\\eqref{second/eq:loss}。
"""

SECOND = """Title: 第二篇
Date: 2024-01-03
Slug: second
Tags: math

$$
M = 1 \\label{eq:other}
$$
$$
L = 2 \\label{eq:loss}
$$
见\\eqref{eq:loss}，上一篇的\\eqref{first/eq:e}。
"""

PLAIN = """Title: 无公式
Date: 2024-01-01
Slug: plain

价格是 $5 和 $10，代码 `$x_1$`。
"""


@pytest.fixture
def theme_overrides(tmp_path: Path) -> str:
    folder = tmp_path / "overrides"
    folder.mkdir()
    (folder / "base.html").write_text(THEME_HEAD, encoding="utf-8")
    return str(folder)


@pytest.fixture
def math_site(build_site, theme_overrides):
    return build_site(
        {"first.md": FIRST, "second.md": SECOND, "plain.md": PLAIN},
        THEME_TEMPLATES_OVERRIDES=[theme_overrides],
        FEED_ALL_ATOM="feeds/all.atom.xml",
        FEED_ALL_RSS="feeds/all.rss.xml",
        DEFAULT_PAGINATION=False,
    )


def article_body(page: str) -> str:
    return page.split('<div class="entry-content">', 1)[1].split("</article>", 1)[0]


def test_article_page(math_site):
    page = article_body(math_site.read("first.html"))
    assert '先看式<a class="eqref" href="#eq-first-1">(1)</a>' in page
    assert "<em>强调</em>" in page
    assert (
        '<span class="equation" id="eq-first-1">$$\nL = \\sum_i x_i^2 \\tag{1}' in page
    )
    assert (
        '<span class="equation" id="eq-first-2"><span id="eq-first-3"></span>' in page
    )
    assert "a_1 &amp;= b_1 \\tag{2}" in page
    assert "e_1 &amp;= f_1 \\tag{3}" in page
    assert '引用<a class="eqref" href="#eq-first-2">(2)</a>、' in page
    assert '<a class="eqref" href="#eq-first-3">3</a>' in page
    assert "\\label" not in page


def test_cross_article_reference(math_site):
    first = article_body(math_site.read("first.html"))
    second = article_body(math_site.read("second.html"))
    assert (
        '第二篇的<a class="eqref" href="https://blog.example.test/second.html'
        '#eq-second-2">(2)</a>'
    ) in first
    assert (
        '上一篇的<a class="eqref" href="https://blog.example.test/first.html'
        '#eq-first-3">(3)</a>'
    ) in second
    assert math_site.warnings == []


def test_cross_article_reference_with_relative_urls(build_site, theme_overrides):
    site = build_site(
        {"first.md": FIRST, "second.md": SECOND},
        THEME_TEMPLATES_OVERRIDES=[theme_overrides],
        RELATIVE_URLS=True,
    )
    first = article_body(site.read("first.html"))
    assert '第二篇的<a class="eqref" href="./second.html#eq-second-2">(2)</a>' in first
    second = article_body(site.read("second.html"))
    assert '上一篇的<a class="eqref" href="./first.html#eq-first-3">(3)</a>' in second
    assert site.warnings == []


def test_absolute_cross_references_leave_pelican_no_copy_to_make(
    build_site, theme_overrides
):
    """Without relative URLs the links are written absolute at once, so
    Pelican's link replacement finds nothing and keeps no second copy."""
    seen = {}

    def capture(generators):
        for generator in generators:
            for article in getattr(generator, "articles", []):
                siteurl = article.settings["SITEURL"]
                seen[article.slug] = (
                    article._content,
                    article.get_content(siteurl),
                )

    signals.all_generators_finalized.connect(capture)
    try:
        build_site(
            {"first.md": FIRST, "second.md": SECOND},
            THEME_TEMPLATES_OVERRIDES=[theme_overrides],
        )
    finally:
        signals.all_generators_finalized.disconnect(capture)
    for slug in ("first", "second"):
        content, shown = seen[slug]
        assert "{filename}" not in content
        assert shown is content, slug


def test_writers_get_no_registry_of_articles(build_site, theme_overrides):
    """The slug registry and the set of pages done serve the references of
    pages, the memo of numberings the content objects made while generators
    run; all are gone from the context by the time pages are written, and
    the references are resolved."""
    left = {}
    keys = ("_equations_registry", "_equations_resolved", equations.NUMBERED)

    def look(generator, writer):
        left.update({key: key in generator.context for key in keys})

    signals.article_writer_finalized.connect(look)
    try:
        site = build_site(
            {"first.md": FIRST, "second.md": SECOND},
            THEME_TEMPLATES_OVERRIDES=[theme_overrides],
        )
    finally:
        signals.article_writer_finalized.disconnect(look)
    assert left == dict.fromkeys(keys, False)
    assert (
        'href="https://blog.example.test/second.html#eq-second-2">(2)</a>'
        in site.read("first.html")
    )


def test_index_page_ids_unique_with_shared_label_names(math_site):
    for name in ("index.html", "tag/math.html"):
        page = math_site.read(name)
        ids = IDS.findall(page)
        assert "eq-first-1" in ids
        assert "eq-second-1" in ids
        assert len(ids) == len(set(ids)), name
        for href, _ in LINKS.findall(page):
            fragment = href.rsplit("#", 1)[1]
            if href.startswith("#"):
                assert fragment in ids


def test_mathjax_only_on_pages_with_math(math_site):
    assert "MathJax" in math_site.read("first.html")
    assert "MathJax" in math_site.read("index.html")
    assert "MathJax" in math_site.read("tag/math.html")
    assert "MathJax" not in math_site.read("plain.html")
    assert "MathJax" not in math_site.read("archives.html")
    assert DEFAULT_CONFIG.get("MATHJAX_URL") is None
    head = math_site.read("first.html")
    assert 'src="https://cdn.jsdelivr.net/npm/mathjax@4/tex-mml-chtml.js"' in head
    assert '"tags": "none"' in head
    for feed in ("feeds/all.atom.xml", "feeds/all.rss.xml"):
        assert "MathJax" not in math_site.read(feed)


def test_feeds_have_absolute_equation_links_and_numbers(math_site):
    for feed in ("feeds/all.atom.xml", "feeds/all.rss.xml"):
        text = html.unescape(math_site.read(feed))
        assert 'href="#eq-' not in text
        assert (
            '先看式<a class="eqref" href="https://blog.example.test/first.html'
            '#eq-first-1">(1)</a>'
        ) in text
        assert "L = \\sum_i x_i^2 \\tag{1}" in text


def test_plain_dollars_untouched(math_site, build_site):
    plain = article_body(math_site.read("plain.html"))
    assert "价格是 $5 和 $10，代码 <code>$x_1$</code>。" in plain
    without = build_site({"plain.md": PLAIN}, PLUGINS=[])
    with_plugin = build_site(
        {"plain.md": PLAIN}, PLUGINS=["pelican_sujianlin.equations"]
    )
    assert without.files() == with_plugin.files()


def test_unknown_and_duplicate_labels_warn_with_file_and_line(build_site):
    site = build_site(
        {
            "bad.md": "Title: Bad\nDate: 2024-01-01\n\n$$a\\label{eq:a}$$\n\n"
            "$$b\\label{eq:a}$$\n\n见\\eqref{eq:nope}与\\eqref{gone/eq:x}\n"
        },
        PLUGINS=["pelican_sujianlin.equations"],
    )
    content = site.content / "bad.md"
    twice = "label 'eq:a' is defined twice (MathJax: Label 'eq:a' multiply defined)"
    assert f"equations: {content}:6: {twice}" in site.warnings
    assert f"equations: {content}:8: unknown label 'eq:nope'" in site.warnings
    assert (
        f"equations: {content}:8: reference to unknown article 'gone'" in site.warnings
    )
    page = site.read("bad.html")
    assert page.count('<span class="eqref eqref-missing">(??)</span>') == 2


def test_strict_fails_the_build(build_site):
    with pytest.raises(EquationError, match="unknown label 'eq:nope'"):
        build_site(
            {"bad.md": "Title: Bad\nDate: 2024-01-01\n\n\\eqref{eq:nope} $x$\n"},
            PLUGINS=["pelican_sujianlin.equations"],
            EQUATIONS_STRICT=True,
        )
    with pytest.raises(EquationError, match="unknown label 'eq:x' in article 'b'"):
        build_site(
            {
                "a.md": "Title: A\nDate: 2024-01-01\n\n\\eqref{b/eq:x}\n",
                "b.md": "Title: B\nDate: 2024-01-02\n\n$$b\\label{eq:y}$$\n",
            },
            PLUGINS=["pelican_sujianlin.equations"],
            EQUATIONS_STRICT=True,
        )
    with pytest.raises(EquationError, match="defined twice"):
        build_site(
            {
                "bad.md": "Title: Bad\nDate: 2024-01-01\n\n"
                "$$a\\label{x}$$ $$b\\label{x}$$\n"
            },
            PLUGINS=["pelican_sujianlin.equations"],
            EQUATIONS_STRICT=True,
        )


def test_strict_cli_exits_non_zero(tmp_path):
    import subprocess
    import sys

    content = tmp_path / "content"
    content.mkdir()
    (content / "bad.md").write_text(
        "Title: Bad\nDate: 2024-01-01\n\n\\eqref{eq:nope}\n", encoding="utf-8"
    )
    conf = tmp_path / "conf.py"
    conf.write_text(
        "PLUGINS = ['pelican_sujianlin.equations']\nEQUATIONS_STRICT = True\n"
        "TIMEZONE = 'UTC'\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pelican",
            str(content),
            "-s",
            str(conf),
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "eq:nope" in run.stdout + run.stderr


HTML_POST = """<html><head><title>HTML 文章</title>
<meta name="date" content="2024-02-01" /><meta name="slug" content="html-post" />
</head><body>
<p>由\\begin{equation}a_1 < b_2 \\label{eq:h}\\end{equation}得$\\eqref{eq:h}$。</p>
</body></html>
"""

REST_POST = """reST 文章
#########

:date: 2024-02-02
:slug: rest-post

由

.. math::

   x_1 = y_2 \\label{eq:r}

.. math::

   a &= b \\label{eq:r2} \\\\
   c &= d

得 :math:`\\eqref{eq:r}` 与 :math:`\\eqref{eq:r2}` 和 :math:`x_3`。
"""


def test_html_and_rest_articles(build_site, theme_overrides):
    site = build_site(
        {"html.html": HTML_POST, "rest.rst": REST_POST},
        PLUGINS=["pelican_sujianlin.equations"],
        THEME_TEMPLATES_OVERRIDES=[theme_overrides],
    )
    html_page = article_body(site.read("html-post.html"))
    assert (
        '<span class="equation" id="eq-html-post-1">\\begin{equation}a_1 < b_2 '
        "\\tag{1}\\end{equation}</span>"
    ) in html_page
    assert '得<a class="eqref" href="#eq-html-post-1">(1)</a>。' in html_page
    rest_page = article_body(site.read("rest-post.html"))
    assert 'id="eq-rest-post-1"' in rest_page
    assert "x_1 = y_2 \\tag{1}" in rest_page
    assert "a &amp;= b \\tag{2} \\\\" in rest_page
    assert "c &amp;= d\n\\end{align*}" in rest_page
    assert '<a class="eqref" href="#eq-rest-post-1">(1)</a>' in rest_page
    assert '<a class="eqref" href="#eq-rest-post-2">(2)</a>' in rest_page
    assert '<span class="math">\\(x_3\\)</span>' in rest_page
    assert "MathJax" in site.read("rest-post.html")
    assert site.warnings == []


def test_markdown_extension_added_once(tmp_path):
    class FakePelican:
        def __init__(self) -> None:
            self.settings = {"MARKDOWN": DEFAULT_CONFIG["MARKDOWN"]}

    before = repr(DEFAULT_CONFIG["MARKDOWN"])
    fake = FakePelican()
    equations.configure(fake)
    equations.configure(fake)
    extensions = fake.settings["MARKDOWN"]["extensions"]
    assert extensions.count("pelican_sujianlin.math_markdown") == 1
    assert repr(DEFAULT_CONFIG["MARKDOWN"]) == before
    assert fake.settings["EQUATIONS_STRICT"] is False
    assert fake.settings["DOCUTILS_SETTINGS"]["math_output"].startswith("MathJax ")


def test_content_cache_never_serves_a_stale_cross_reference(build_site, tmp_path):
    content = tmp_path / "cached"
    content.mkdir()
    (content / "first.md").write_text(FIRST, encoding="utf-8")
    (content / "second.md").write_text(SECOND, encoding="utf-8")
    cache = {
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        "CACHE_PATH": str(tmp_path / "shared-cache"),
        "PLUGINS": ["pelican_sujianlin.equations"],
    }
    clean = build_site(content, **cache)
    assert '#eq-second-2">(2)</a>' in clean.read("first.html")
    # second.md gains an equation before eq:loss; first.md is served from the cache
    (content / "second.md").write_text(
        SECOND.replace("$$\nM = 1", "$$\nK = 0 \\label{eq:k}\n$$\n$$\nM = 1"),
        encoding="utf-8",
    )
    cached = build_site(content, **cache)
    assert '#eq-second-3">(3)</a>' in cached.read("first.html")
    fresh = build_site(content, PLUGINS=["pelican_sujianlin.equations"])
    assert cached.read("first.html") == fresh.read("first.html")
    assert cached.read("second.html") == fresh.read("second.html")


def test_summary_and_page_references(build_site):
    site = build_site(
        {
            "first.md": FIRST,
            "second.md": SECOND,
            "pages/about.md": "Title: About\n\n见第一篇\\eqref{first/eq:a}与"
            "$$z\\label{eq:z}$$\\eqref{eq:z}\n",
        },
        PLUGINS=["pelican_sujianlin.equations"],
    )
    about = site.read("pages/about.html")
    assert (
        '<a class="eqref" href="https://blog.example.test/first.html#eq-first-2">(2)</a>'
        in about
    )
    assert '<a class="eqref" href="#eq-about-1">(1)</a>' in about
    assert site.warnings == []


# --- speed ---------------------------------------------------------------------------


def kexue_article(equations_count: int = 10, size: int = 8192) -> str:
    """About ``size`` bytes of HTML with ``equations_count`` labelled equations."""
    prose = (
        "<p>这是一段很普通的正文，包含 $x_i$ 与 $\\theta$ 这样的行内公式，"
        "以及<em>强调</em>。</p>\n"
    )
    blocks = []
    for i in range(equations_count):
        blocks.append(prose * 3)
        blocks.append(
            f"<p>$$\\begin{{aligned}}L_{i} &amp;= \\sum_j x_j^2 \\\\ &amp;= y"
            f"\\end{{aligned}}\\label{{eq:{i}}}$$ 由式$\\eqref{{eq:{i}}}$可知</p>\n"
        )
    text = "".join(blocks)
    while len(text.encode()) < size:
        text += prose
    return text


def test_numbering_is_cheaper_than_parsing_the_article():
    article = kexue_article()
    rounds = 50
    start = time.perf_counter()
    for _ in range(rounds):
        result = number_equations(article, "eq-post")
    numbering = (time.perf_counter() - start) / rounds
    start = time.perf_counter()
    for _ in range(rounds):
        BeautifulSoup(article, "html.parser")
    parsing = (time.perf_counter() - start) / rounds
    assert TAGS.findall(result.html) == [str(i) for i in range(1, 11)]
    assert numbering < parsing, (numbering, parsing)


def test_an_unclosed_display_warns_with_or_without_a_link_on_the_page():
    for text in ("<p>$$ x</p>", '<p>$$ x <a href="/y">y</a></p>', "<p>a \\[ x</p>"):
        result = numbered(text)
        assert result.html is text
        assert [p.message.split(" is never closed")[0] for p in result.problems] == [
            "\\[" if "\\[" in text else "$$"
        ]


def test_math_without_labels_or_references_is_left_as_it_is():
    text = "<p>$x_1$ and $$y$$ and \\[z\\]</p>"
    result = numbered(text)
    assert result.html is text
    assert result.has_math
    assert not numbered("<p>$5 and <code>$x$</code></p>").has_math


def test_summary_metadata_references_link_into_the_article(build_site):
    post = FIRST.replace(
        "Tags: math\n",
        "Tags: math\nSummary: 本文证明了$\\eqref{eq:e}$，"
        "并推广了\\eqref{second/eq:loss}。\n",
    )
    site = build_site(
        {"first.md": post, "second.md": SECOND},
        PLUGINS=["pelican_sujianlin.equations"],
        DEFAULT_PAGINATION=False,
        SUMMARY_MAX_LENGTH=None,
    )
    index = site.read("index.html")
    assert (
        '本文证明了<a class="eqref" href="https://blog.example.test/first.html'
        '#eq-first-3">(3)</a>，并推广了<a class="eqref" '
        'href="https://blog.example.test/second.html#eq-second-2">(2)</a>。'
    ) in index
    assert site.warnings == []


def test_translations_get_their_own_ids_and_targets(build_site):
    english = (
        FIRST.replace("Title: 第一篇", "Title: First")
        .replace("Tags: math\n", "Tags: math\nLang: en\n")
        .replace("second/eq:loss", "second/eq:other")
    )
    second_en = SECOND.replace("Title: 第二篇", "Title: Second").replace(
        "Tags: math\n", "Tags: math\nLang: en\n$$x\\label{eq:pad}$$\n\n"
    )
    site = build_site(
        {
            "first.md": FIRST,
            "first-en.md": english,
            "second.md": SECOND,
            "second-en.md": second_en,
        },
        PLUGINS=["pelican_sujianlin.equations"],
    )
    page = site.read("first-en.html")
    assert 'id="eq-first-en-1"' in page
    # the English translation of "second" has one more equation before eq:other
    assert 'second-en.html#eq-second-en-2">(2)</a>' in page
    assert 'second.html#eq-second-2">(2)</a>' in site.read("first.html")
    assert site.warnings == []


def test_upper_case_reference_commands_are_plain_text():
    """``\\EQREF``/``\\REF`` are not TeX's commands: left alone, never a crash."""
    result = number_equations(
        "\\begin{equation}x\\label{a}\\end{equation} \\EQREF{a} \\REF{a}", "eq-p"
    )
    assert "\\EQREF{a}" in result.html
    assert "\\REF{a}" in result.html
    assert "\\tag{1}" in result.html


# --- EQUATIONS_NUMBERING and reading TeX as MathJax does ---------------------------

CORNERS = r"""<p>\begin{align}a\\ % c \\
e\label{c3}\end{align} $$x\label{y}$$ \begin{equation}f\tag {T}\label {t}\end{equation}
\begin{aligned}p\\q\end{aligned} 见\eqref{c3}、\eqref {y}、\eqref{t}</p>"""


@pytest.mark.parametrize(
    ("mode", "tags", "links"),
    [
        ("labelled", ["1", "2", "3", "T"], ["(2)", "(3)", "(T)"]),
        ("ams", ["1", "2", "T"], ["(2)", "(??)", "(T)"]),
        ("all", ["1", "2", "3", "T", "4"], ["(2)", "(3)", "(T)"]),
        ("none", ["T"], ["(??)", "(??)", "(T)"]),
    ],
)
def test_numbering_modes(mode, tags, links):
    result = number_equations(CORNERS, "eq-p", mode)
    assert re.findall(r"\\tag\s*\{([^{}]*)\}", result.html) == tags
    drawn = re.findall(r'class="eqref(?: eqref-missing)?"[^>]*>([^<]*)<', result.html)
    assert drawn == links
    assert "\\label" not in result.html


def test_comments_cr_and_spaces_are_read_as_tex():
    tex = (
        "\\begin{align}a\\cr c\\label{x}\\cr e\\end{align}"
        "\\begin{equation}a % note\n\\tag{7}\\label{n}\\end{equation}"
        "\\begin{align}a\\\\ % b\\label{gone} \\\\\nc\\label{c}\\end{align}"
    )
    result = number_equations(tex, "eq-p", "ams")
    assert TAGS.findall(result.html) == ["1", "2", "3", "7", "4", "5"]
    assert result.labels == {
        "x": ("2", "eq-p-2"),
        "n": ("7", "eq-p-t1"),
        "c": ("5", "eq-p-5"),
    }
    assert "% note\n\\tag{7}" in result.html  # nothing written into the comment


def test_text_mode_and_tag_references_become_math_mathjax_can_read():
    tex = (
        "\\begin{equation}e\\label{e}\\end{equation}"
        "\\begin{equation}f\\tag{\\ref{e}$'$}\\label{f}\\end{equation}"
        "$\\text{见\\eqref{e}}$ \\eqref{f} $\\eqref{f}+1$"
    )
    result = number_equations(tex, "eq-p", "ams")
    assert "\\tag{\\(\\href{#eq-p-1}{1}\\)$'$}" in result.html
    assert "$\\text{见$\\href{#eq-p-1}{(1)}$}$" not in result.html
    assert "\\text{见\\(\\href{#eq-p-1}{(1)}\\)}" in result.html
    assert '<a class="eqref" href="#eq-p-t1">(1$\'$)</a>' in result.html
    assert "\\href{#eq-p-t1}{\\text{(1$'$)}}+1" in result.html


def test_label_names_as_mathjax_takes_them():
    tex = (
        "\\begin{equation}a\\label{a b}\\end{equation}"
        "\\begin{equation}b\\label{sec/one}\\end{equation}$$c\\label{}$$"
        "\\eqref{a b} \\eqref{sec/one}"
    )
    result = number_equations(tex, "eq-p")
    assert TAGS.findall(result.html) == ["1", "2"]  # \label{} numbers nothing
    assert result.xrefs == []  # a label of this article, not another's
    assert result.html.endswith(
        '<a class="eqref" href="#eq-p-1">(1)</a> '
        '<a class="eqref" href="#eq-p-2">(2)</a>'
    )


def test_last_row_with_only_a_label_is_not_numbered_and_warns():
    result = number_equations(
        "\\begin{align}a\\\\b\\\\\\label{x}\\end{align}\\eqref{x}", "eq-p"
    )
    assert TAGS.findall(result.html) == ["1", "2"]
    assert "its row is empty" in result.problems[0].message


def test_xalignat_is_numbered_and_notag_in_split_keeps_the_label():
    result = number_equations(
        "\\begin{xalignat}{2}a&b&c&d\\\\e&f&g&h\\end{xalignat}"
        "$$\\begin{split}a\\notag\\\\b\\end{split}\\label{s}$$\\eqref{s}",
        "eq-p",
    )
    assert TAGS.findall(result.html) == ["1", "2", "3"]
    assert result.labels["s"] == ("3", "eq-p-3")
    assert result.problems == []


def test_what_mathjax_refuses_is_a_problem_in_its_words():
    result = number_equations(
        "\\begin{equation}a\\label{x}\\label{y}\\end{equation}"
        "$$b\\tag{1}\\tag{2}$$"
        "\\begin{equation}\\begin{split}c\\tag{X}\\end{split}\\end{equation}",
        "eq-p",
    )
    messages = [p.message for p in result.problems]
    assert "Multiple \\label" in messages
    assert "Multiple \\tag" in messages
    assert "\\tag not allowed in split environment" in messages


@pytest.mark.parametrize(("mode", "tags"), [("ams", ["1", "x"]), ("all", ["1"])])
def test_a_tag_beside_numbered_rows_is_a_problem(mode, tags):
    tex = "$$\\begin{align}a\\end{align}\\tag{x}$$"
    result = number_equations(tex, "eq-p", mode)
    assert TAGS.findall(result.html) == tags
    assert result.problems[0].message.startswith("\\tag outside the rows")


def test_bare_environment_numbered_in_all_mode_stays_math():
    result = number_equations(
        "<p>\\begin{aligned}a\\\\b\\end{aligned}</p>", "eq-p", "all"
    )
    assert result.html == (
        '<p><span class="equation" id="eq-p-1">'
        "\\[\\begin{aligned}a\\\\b\\end{aligned} \\tag{1}\\]</span></p>"
    )


WARNED = r"""Title: Warned
Date: 2024-01-01

\begin{equation}a\label{x}\label{y}\end{equation}

$$b\label{lost}$$

\begin{align}
c \tag{1} \\
d
\end{align}

$$
E = mc^2

## 下一节

\begin{align}
f \label{z}

\[ g

见\eqref{lost}
"""


def test_warnings_name_file_and_line(build_site):
    site = build_site(
        {"warned.md": WARNED},
        PLUGINS=["pelican_sujianlin.equations"],
        EQUATIONS_NUMBERING="ams",
    )
    where = f"equations: {site.content / 'warned.md'}"
    expected = [
        f"{where}:4: Multiple \\label",
        f"{where}:6: label 'lost' is on an unnumbered equation "
        "(EQUATIONS_NUMBERING = 'ams' numbers no such display): it cannot be linked",
        f"{where}:9: \\tag{{1}} draws (1), the number of another equation",
        f"{where}:13: $$ is never closed",
        f"{where}:18: \\begin{{align}} is never closed",
        f"{where}:21: \\[ is never closed",
        f"{where}:23: unknown label 'lost'",
    ]
    for message in expected:
        assert any(w.startswith(message) for w in site.warnings), message
    page = site.read("warned.html")
    assert "<h2>下一节</h2>" in page  # the unclosed $$ swallowed nothing


def test_numbering_setting_checked_and_render_math_read(build_site):
    post = {"p.md": "Title: P\nDate: 2024-01-01\n\n$$a\\label{a}$$ \\eqref{a}\n"}
    wrong = build_site(
        post, PLUGINS=["pelican_sujianlin.equations"], EQUATIONS_NUMBERING="AMS!"
    )
    assert any("EQUATIONS_NUMBERING = 'AMS!'" in w for w in wrong.warnings)
    assert "\\tag{1}" in wrong.read("p.html")  # the default: labelled
    moved = build_site(
        post,
        PLUGINS=["pelican_sujianlin.equations"],
        MATH_JAX={"equation_numbering": "AMS", "color": "blue"},
    )
    assert any("EQUATIONS_NUMBERING = 'ams'" in w for w in moved.warnings)
    assert "\\tag{1}" not in moved.read("p.html")
    both = build_site(
        post,
        PLUGINS=["pelican_sujianlin.equations"],
        MATH_JAX={"equation_numbering": "AMS"},
        EQUATIONS_NUMBERING="all",
    )
    assert not any("MATH_JAX" in w for w in both.warnings)
    assert "\\tag{1}" in both.read("p.html")


def test_scan_survives_a_trailing_dollar_and_a_broken_begin():
    """A text ending in "$", or a "\\begin{" with no "}" (an HTML article, a
    stranger's comment), is text, not a crash."""
    for text in (
        "<p>\\label{x} costs 5$",
        "<p>see \\begin{align x \\label{a}</p>",
        "<p>\\begin{</p>\\label{x}",
        "\\begin{a{b}} \\label{q}",
    ):
        result = number_equations(text, "eq-x")
        assert result.html == text
