"""read_more: the pure functions (marker, splitter, repair, CJK cut), tables
of cases and hypothesis properties. Full-site builds: test_read_more_site.py."""

from __future__ import annotations

import html as html_module
import logging
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pelican.utils import truncate_html_words

from pelican_sujianlin import read_more
from pelican_sujianlin.read_more import (
    Options,
    character_cut,
    close_open_elements,
    cut_by_characters,
    find_markers,
    insert_at,
    is_cjk_text,
    link_fragments_to,
    marker_pattern,
    pelican_truncates,
    split_at_marker,
)

MARKER = marker_pattern("<!--more-->")


# --- the marker ---------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["<!--more-->", "<!-- more -->", "<!--MORE-->", "<!--  More\n-->", "<!--\tmore-->"],
)
def test_marker_matches_any_spacing_and_case(written):
    assert MARKER.fullmatch(written)


@pytest.mark.parametrize("written", ["<!--more text-->", "<!-- nomore -->", "more"])
def test_marker_does_not_match_other_comments(written):
    assert MARKER.search(written) is None


def test_custom_comment_marker_allows_spacing():
    pattern = marker_pattern("<!-- 阅读 更多 -->")
    assert pattern.fullmatch("<!--阅读   更多-->")
    assert pattern.fullmatch("<!-- 阅读\n更多 -->")
    assert not pattern.search("<!--阅读更多-->")


def test_plain_text_marker():
    split = split_at_marker(
        "<p>a</p>\n<p>[MORE]</p>\n<p>b</p>", marker_pattern("[more]")
    )
    assert split.summary == "<p>a</p>"
    assert split.article == '<p>a</p>\n<p><span id="more"></span></p>\n<p>b</p>'


@pytest.mark.parametrize(
    "html",
    [
        "<pre><!--more--></pre><p>x</p>",
        "<pre><code>a\n<!--more-->\nb</code></pre><p>x</p>",
        "<p><code>x <!-- more --></code> y</p>",
        "<p><CODE class='x'><!--more--></CODE></p>",
        "<script>var s = '<!--more-->';</script><p>x</p>",
        "<style>/* <!--more--> */</style><p>x</p>",
        "<textarea><!--more--></textarea>",
        "<!-- a note: <!--more--> --><p>x</p>",
        '<img alt="<!--more-->" src="a.png"><p>x</p>',
        "<p>&lt;!--more--&gt; is how you write it</p>",
    ],
)
def test_marker_in_code_comments_or_attributes_is_text(html):
    assert find_markers(html, MARKER) == []
    assert split_at_marker(html, MARKER) is None


def test_marker_after_code_is_found():
    html = "<pre><!--more--></pre><p>a <!--more--> b</p>"
    start = html.index("<!--more--> b")
    assert find_markers(html, MARKER) == [(start, start + len("<!--more-->"))]


# --- the splitter: HTML in, summary and article out ---------------------------------

SPLITS = [
    # (article HTML, summary, article page)
    (
        "<p>one</p>\n<!--more-->\n<p>two</p>",
        "<p>one</p>",
        '<p>one</p>\n<span id="more"></span>\n<p>two</p>',
    ),
    (
        "<p>one <!-- More --> two</p>",
        "<p>one</p>",
        '<p>one <span id="more"></span> two</p>',
    ),
    (
        "<ul>\n<li>a</li>\n<li>b <!--more--></li>\n<li>c</li>\n</ul>",
        "<ul>\n<li>a</li>\n<li>b</li></ul>",
        '<ul>\n<li>a</li>\n<li>b <span id="more"></span></li>\n<li>c</li>\n</ul>',
    ),
    (  # the cut leaves an empty <li> open: dropped, not closed
        "<ul>\n<li>a</li>\n<li><!--more-->b</li></ul>",
        "<ul>\n<li>a</li></ul>",
        '<ul>\n<li>a</li>\n<li><span id="more"></span>b</li></ul>',
    ),
    (
        "<ol><li><p>a</p><ul><li>b<!--more-->c</li></ul></li></ol>",
        "<ol><li><p>a</p><ul><li>b</li></ul></li></ol>",
        '<ol><li><p>a</p><ul><li>b<span id="more"></span>c</li></ul></li></ol>',
    ),
    (
        "<blockquote>\n<p>quote\n<!--more-->\nmore</p>\n</blockquote>",
        "<blockquote>\n<p>quote</p></blockquote>",
        '<blockquote>\n<p>quote\n<span id="more"></span>\nmore</p>\n</blockquote>',
    ),
    (
        "<table><thead><tr><th>h</th></tr></thead>"
        "<tbody><tr><td>a<!--more-->b</td></tr></tbody></table>",
        "<table><thead><tr><th>h</th></tr></thead>"
        "<tbody><tr><td>a</td></tr></tbody></table>",
        "<table><thead><tr><th>h</th></tr></thead>"
        '<tbody><tr><td>a<span id="more"></span>b</td></tr></tbody></table>',
    ),
    (
        '<div class="note"><p>a <em>b <strong>c<!--more-->d</strong></em></p></div>',
        '<div class="note"><p>a <em>b <strong>c</strong></em></p></div>',
        '<div class="note"><p>a <em>b <strong>c<span id="more"></span>d</strong>'
        "</em></p></div>",
    ),
    (  # an empty wrapper opened just before the marker goes
        "<p>a</p><div class='x'>\n  <!--more--><p>b</p></div>",
        "<p>a</p>",
        "<p>a</p><div class='x'>\n  <span id=\"more\"></span><p>b</p></div>",
    ),
    (  # images and void elements are kept and need no closing
        '<p>a<br>b</p><figure><img src="x.png" alt="x"><!--more--><figcaption>c',
        '<p>a<br>b</p><figure><img src="x.png" alt="x"></figure>',
        '<p>a<br>b</p><figure><img src="x.png" alt="x"><span id="more"></span>'
        "<figcaption>c",
    ),
    (  # end tags left out by a hand-written HTML article
        "<ul><li>a<li>b<!--more--><li>c</ul>",
        "<ul><li>a<li>b</li></ul>",
        '<ul><li>a<li>b<span id="more"></span><li>c</ul>',
    ),
    (  # only the first marker splits; later ones leave no trace
        "<p>a</p><!--more--><p>b</p><!-- more --><p>c</p>",
        "<p>a</p>",
        '<p>a</p><span id="more"></span><p>b</p><p>c</p>',
    ),
    (  # TeX and entities before the marker stay as they are
        "<p>$a &lt; b$ &amp; \\(x\\)</p>\n<!--more-->\n<p>\\[y\\]</p>",
        "<p>$a &lt; b$ &amp; \\(x\\)</p>",
        '<p>$a &lt; b$ &amp; \\(x\\)</p>\n<span id="more"></span>\n<p>\\[y\\]</p>',
    ),
]


@pytest.mark.parametrize(("html", "summary", "article"), SPLITS)
def test_split_table(html, summary, article):
    split = split_at_marker(html, MARKER)
    assert split.summary == summary
    assert split.article == article
    assert split.has_more


@pytest.mark.parametrize(
    "html", ["<p>all of it</p>\n<!--more-->\n", "<p>all <!--more--></p>", "<p>x</p>"]
)
def test_nothing_after_marker_means_no_more(html):
    split = split_at_marker(html, MARKER)
    assert split is None or not split.has_more


def test_image_after_marker_is_more():
    assert split_at_marker('<p>a</p><!--more--><p><img src="x"></p>', MARKER).has_more


@pytest.mark.parametrize(
    ("html", "closed"),
    [
        ("", ""),
        ("<p>a", "<p>a</p>"),
        ("<p>a</p>\n\n", "<p>a</p>"),
        ("<div><p>a</p><p>", "<div><p>a</p></div>"),
        ("<dl><dt>a<dd>b", "<dl><dt>a<dd>b</dd></dl>"),
        ("<table><tr><td>a<td>b", "<table><tr><td>a<td>b</td></tr></table>"),
        ("<p>a<div>b", "<p>a<div>b</div>"),  # <div> ends the <p>
        ("<p>a</span>b", "<p>a</span>b</p>"),  # a stray end tag is left alone
        ("<P>a<EM>b", "<P>a<EM>b</em></p>"),
        ("<svg><circle r='1'/></svg><p>", "<svg><circle r='1'/></svg>"),
        ("<p>a <span id='x'></span>", "<p>a <span id='x'></span></p>"),
        ("<p><a id='x'></a>", ""),
    ],
)
def test_close_open_elements(html, closed):
    assert close_open_elements(html) == closed


# --- links in a summary ----------------------------------------------------------


def test_fragment_links_outside_the_summary_point_at_the_article():
    summary = (
        '<p id="top"><a class="eqref" href="#eq-post-1">(1)</a>'
        '<span id="eq-post-2"></span><a class="eqref" href="#eq-post-2">(2)</a>'
        "<sup id='fnref:1'><a href='#fn:1'>1</a></sup>"
        '<a href="#top">top</a><a href="other.html#x">o</a></p>'
    )
    assert link_fragments_to(summary, "URL") == (
        '<p id="top"><a class="eqref" href="URL#eq-post-1">(1)</a>'
        '<span id="eq-post-2"></span><a class="eqref" href="#eq-post-2">(2)</a>'
        "<sup id='fnref:1'><a href='URL#fn:1'>1</a></sup>"
        '<a href="#top">top</a><a href="other.html#x">o</a></p>'
    )


@pytest.mark.parametrize(
    ("positions", "start", "stop", "expected"),
    [
        ((), 0, None, "abcdef"),
        ((2, 4), 0, None, "ab|cd|ef"),
        ((1, 1), 1, 5, "||bcde"),
        ((3,), 1, 3, "bc|"),
    ],
)
def test_insert_at(positions, start, stop, expected):
    assert insert_at("abcdef", positions, "|", start, stop) == expected


# --- CJK text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "cjk"),
    [
        ("<p>Transformer升级之路：我们用Transformer模型来做</p>", True),
        ("<p>设$x\\in\\mathbb{R}^n$，则有如下结论成立。</p>", True),
        ("<p>マックOS Xでパイソンをインストールする</p>", True),
        ("<p>한국어 문장입니다</p>", True),
        ("<p>An English post about the blog 科学空间 and more words here.</p>", False),
        ('<p title="中文中文中文中文">English text only</p>', False),
        ("<p>Plain English.</p>", False),
        ("", False),
    ],
)
def test_is_cjk_text(html, cjk):
    assert is_cjk_text(html) is cjk


def test_cut_by_characters_counts_characters():
    html = "<p>" + "一二三四五六七八九十" * 20 + "</p>"
    assert cut_by_characters(html, 15, "…") == "<p>一二三四五六七八九十一二三四五…</p>"


def test_cut_by_characters_short_text_is_not_cut():
    assert cut_by_characters("<p>一二三</p><p>四五</p>", 5, "…") is None
    assert (
        cut_by_characters("<p>一二三</p><p>四五</p>", 4, "…")
        == "<p>一二三</p><p>四…</p>"
    )


def test_cut_by_characters_keeps_words_entities_and_tex_whole():
    assert cut_by_characters("<p>一二Transformer三四</p>", 3, "…") == (
        "<p>一二Transformer…</p>"
    )
    assert cut_by_characters("<p>一&amp;二三四</p>", 2, "…") == "<p>一&amp;…</p>"
    assert cut_by_characters("<p>一二 $a_1+b_2$ 三四</p>", 4, "…") == "<p>一二…</p>"
    # TeX at the very start is kept whole rather than leaving nothing
    assert cut_by_characters("<p>$$a+b+c+d$$ 三四</p>", 2, "…") == (
        "<p>$$a+b+c+d$$…</p>"
    )
    assert cut_by_characters(
        "<p>一二\\begin{equation}x=1\\end{equation}三</p>", 3, "…"
    ) == ("<p>一二…</p>")


def test_tex_counts_what_it_shows():
    html = "<p>一二$\\mathrm{abc}^{2}$三四五</p>"
    # 一二 (2) + abc2 (4) + 三 (1)
    assert cut_by_characters(html, 7, "…") == "<p>一二$\\mathrm{abc}^{2}$三…</p>"


def test_cut_by_characters_skips_tags_comments_and_scripts():
    html = '<p>一<a href="#x">二</a><!-- 注释注释 --><script>三三三</script>四五六</p>'
    assert (
        cut_by_characters(html, 3, "…")
        == '<p>一<a href="#x">二</a><!-- 注释注释 --><script>三三三</script>四…</p>'
    )


def test_cut_by_characters_closes_blocks():
    html = "<blockquote><ul><li>一二三</li><li>四五六</li></ul></blockquote><p>七</p>"
    assert cut_by_characters(html, 4, "……") == (
        "<blockquote><ul><li>一二三</li><li>四……</li></ul></blockquote>"
    )


def test_character_cut_returns_none_when_all_fits():
    assert character_cut("<p>一二三</p>", 10) is None


# --- has_more for content left to Pelican ---------------------------------------------


@pytest.mark.parametrize(
    ("html", "words"),
    [
        ("<p>one two three</p>", 3),
        ("<p>one two three</p>", 2),
        ("<p>one <em>two</em> three's four-five</p><!-- six seven -->", 3),
        ("<p>中文字</p>", 2),
        ("<p>a &amp; b</p>", 2),
    ],
)
def test_pelican_truncates_agrees_with_pelican(html, words):
    # Pelican marks a cut once it has counted its words, even when nothing
    # follows: there is more than ``words`` words when it cuts at words + 1.
    more = truncate_html_words(html, words + 1) != html
    assert pelican_truncates(html, words, None) is more


def test_pelican_truncates_by_paragraphs():
    assert pelican_truncates("<p>a</p><p>b</p>", None, 1)
    assert not pelican_truncates("<p>a</p><p>b</p>", None, 2)
    assert not pelican_truncates("<p>a b c</p>", None, None)


# --- settings -------------------------------------------------------------------------


def test_options_defaults_follow_language():
    zh = Options.from_settings({"DEFAULT_LANG": "zh_CN"})
    en = Options.from_settings({"DEFAULT_LANG": "en"})
    assert zh.text == "点击阅读全文..."
    assert en.text == "Read more…"
    assert zh.link is True
    assert zh.cjk_length == 150
    assert zh.marker.pattern == MARKER.pattern


def test_options_bad_values_warn_and_fall_back(caplog):
    caplog.set_level(logging.WARNING)
    options = Options.from_settings(
        {"READ_MORE_MARKER": "<!-- -->", "READ_MORE_CJK_LENGTH": "many"}
    )
    assert options.marker.pattern == MARKER.pattern
    assert options.cjk_length == 150
    text = caplog.text
    assert "READ_MORE_MARKER" in text
    assert "READ_MORE_CJK_LENGTH" in text


def test_options_cjk_length_none_turns_the_cut_off():
    assert Options.from_settings({"READ_MORE_CJK_LENGTH": None}).cjk_length is None
    assert Options.from_settings({"READ_MORE_CJK_LENGTH": 0}).cjk_length is None


def test_settings_are_declared_once():
    assert set(read_more.DEFAULTS) == {
        "READ_MORE_MARKER",
        "READ_MORE_TEXT",
        "READ_MORE_LINK",
        "READ_MORE_LINK_FORMAT",
        "READ_MORE_CJK_LENGTH",
    }


# --- READ_MORE_LINK, READ_MORE_LINK_FORMAT and the theme's own link -------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (None, None)),
        (True, (True, None)),
        (False, (False, None)),
        ("<span>continue</span>", (True, "<span>continue</span>")),  # read-more's
        ("", (False, None)),
    ],
)
def test_read_more_link_setting(value, expected, caplog):
    assert read_more.link_setting(value) == expected
    assert caplog.text == ""


@pytest.mark.parametrize("value", [1, ["x"], {"text": "x"}])
def test_unusable_read_more_link_warns_naming_it(value, caplog):
    options = Options.from_settings({"READ_MORE_LINK": value})
    assert options.link == Options.from_settings({}).link  # the default's
    assert f"READ_MORE_LINK = {value!r} is not" in caplog.text


def test_pelican_read_more_string_is_the_link_text():
    options = Options.from_settings({"READ_MORE_LINK": "<span>continue</span>"})
    assert (options.link, options.text) == (True, "<span>continue</span>")
    options = Options.from_settings({"READ_MORE_LINK": ""})
    assert options.link is False


def test_read_more_link_format():
    link = read_more.read_more_link
    url, path = "../a/post.html#more", "a/post.html#more"
    # pelican-read-more's default: "/{url}" is the article, reached from here
    assert link('<a class="read-more" href="/{url}">{text}</a>', url, path, "go") == (
        '<a class="read-more" href="../a/post.html#more">go</a>'
    )
    assert link("<a href='{url}'>{text}</a>", url, path, "go") == (
        "<a href='../a/post.html#more'>go</a>"
    )
    # elsewhere {url} is article.url, as pelican-read-more fills it
    assert link('<a href="https://x.test/{url}">{text}</a>', url, path, "t") == (
        '<a href="https://x.test/a/post.html#more">t</a>'
    )


@given(
    st.text(alphabet="<>a'\"=/ {}urltexh#\x00", max_size=40),
    st.text(alphabet="a{}urltex\x00", max_size=12),
)
def test_link_joined_from_its_parts_is_the_formatted_link(link_format, text):
    url, path = "../a/p.html#more", "a/p.html#more"
    parts = read_more.link_parts(link_format, text)
    expected = read_more.read_more_link(link_format, url, path, text)
    if parts is None:  # a stand-in in the format or the text: formatted each time
        assert "\x00" in link_format + text
    else:
        assert read_more.join_link(parts, url, path) == expected


@pytest.mark.parametrize("value", [None, 3, "<a>{text}</a>"])
def test_unusable_link_format_warns(value, caplog):
    options = Options.from_settings({"READ_MORE_LINK_FORMAT": value})
    assert options.link_format == read_more.DEFAULTS["READ_MORE_LINK_FORMAT"]
    assert f"READ_MORE_LINK_FORMAT = {value!r} is not text with {{url}}" in caplog.text


THEME_LINKS = {
    "notmyidea": """{{ article.summary }}
        <a class="readmore" href="{{ SITEURL }}/{{ article.url }}">read more</a>""",
    "flex": """<div>{{ article.summary }}</div>
      {% if article.content != article.summary %}
        <br>
        <a class="btn"
           href="{{ SITEURL }}/{{ article.url }}{% if not DISABLE_URL_HASH %}#{{
             article.slug }}{% endif %}">
          {{ _('Continue reading') }}
        </a>
      {% endif %}""",
    "bootstrap3": """<div class="summary">{{ article.summary }}
        {% include 'includes/comment_count.html' %}
        <a class="btn btn-default btn-xs"
           href="{{ SITEURL }}/{{ article.url }}">{{ _('more') }} ...</a>""",
    "expression": """{{ article.content if FULL else article.summary }}
        {% if not FULL %}
        <p><a href="{{ SITEURL }}/{{ article.url }}">More</a></p>
        {% endif %}""",
    "other name": """{% for post in posts %}{{ post.summary }}
        <a href="{{ SITEURL }}/{{post.url}}">more</a>{% endfor %}""",
}
NO_THEME_LINKS = {
    "simple": """<section>{{ article.summary }}</section>
        <footer>{% for author in article.authors %}
        <a href="{{ SITEURL }}/{{ author.url }}">{{ author }}</a>
        {% endfor %}</footer>""",
    "title before": """<h2><a href="{{ SITEURL }}/{{ article.url }}">
        {{ article.title }}</a></h2>
        {{ article.summary }}""",
    "meta": """<meta name="description" content="{{ article.summary }}">
        {% endblock %}{% block content %}
        <h1><a href="{{ SITEURL }}/{{ article.url }}">x</a></h1>""",
    "next item": """{{ article.summary }}{% endfor %}{% for article in more %}
        <a href="{{ SITEURL }}/{{ article.url }}">{{ article.title }}</a>""",
    "comment count": """{{ article.summary }}
        <a href="{{ SITEURL }}/{{ article.url }}#disqus_thread">comments</a>""",
    "another article": """{{ article.summary }}
        <a href="{{ SITEURL }}/{{ article.category.url }}">
        {{ article.category }}</a>""",
}


@pytest.mark.parametrize("name", THEME_LINKS)
def test_theme_prints_its_own_link(name):
    assert read_more.theme_prints_link(THEME_LINKS[name])


@pytest.mark.parametrize("name", NO_THEME_LINKS)
def test_theme_prints_no_link(name):
    assert not read_more.theme_prints_link(NO_THEME_LINKS[name])


def test_theme_template_found_through_overrides(tmp_path):
    theme, overrides = tmp_path / "theme" / "templates", tmp_path / "overrides"
    (theme / "partial").mkdir(parents=True)
    overrides.mkdir()
    (theme / "partial" / "list.html").write_text(THEME_LINKS["notmyidea"])
    (theme / "index.html").write_text(NO_THEME_LINKS["simple"])
    settings = {
        "THEME": str(tmp_path / "theme"),
        "THEME_TEMPLATES_OVERRIDES": [str(overrides)],
    }
    assert Options.from_settings(settings).theme_link == "partial/list.html"
    assert Options.from_settings(settings).link is False
    # an override of that template without the link wins
    (overrides / "partial").mkdir()
    (overrides / "partial" / "list.html").write_text(NO_THEME_LINKS["simple"])
    assert Options.from_settings(settings).theme_link is None
    assert Options.from_settings(settings).link is True
    (overrides / "partial" / "list.html").write_text(THEME_LINKS["flex"])
    forced = Options.from_settings({**settings, "READ_MORE_LINK": True})
    assert (forced.link, forced.theme_link) == (True, None)


# --- properties -----------------------------------------------------------------------


class _Text(HTMLParser):
    """The text of some HTML, and whether its tags are balanced."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []
        self.balanced = True
        self.feed(html)
        self.close()
        self.balanced = self.balanced and not self.stack

    def handle_starttag(self, tag, attrs):
        if tag not in read_more.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.balanced = False

    def handle_data(self, data):
        self.parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.parts)


WORDS = st.text(alphabet="ab中文 <>&\n", max_size=6).map(html_module.escape)
INLINE_LEAF = st.one_of(
    WORDS.map(lambda t: ("text", t)),
    st.just(("void", "<br>")),
    st.just(("void", '<img src="x.png" alt="">')),
    WORDS.map(lambda t: ("code", t)),
)


def element(tag, children, attrs=""):
    return ("element", tag, attrs, children)


INLINE = st.recursive(
    INLINE_LEAF,
    lambda inner: st.builds(
        element,
        st.sampled_from(["em", "strong", "span", "a"]),
        st.lists(inner, max_size=3),
        st.sampled_from(["", ' class="c"', ' href="#fn:1"']),
    ),
    max_leaves=6,
)


def block_strategy(inner):
    inline_list = st.lists(INLINE, max_size=3)
    return st.one_of(
        st.builds(element, st.sampled_from(["p", "h2"]), inline_list),
        st.builds(
            element, st.sampled_from(["div", "blockquote"]), st.lists(inner, max_size=3)
        ),
        st.builds(
            element,
            st.just("ul"),
            st.lists(
                st.builds(element, st.just("li"), st.lists(inner, max_size=2)),
                min_size=1,
                max_size=3,
            ),
        ),
        st.builds(
            element,
            st.just("table"),
            st.lists(
                st.builds(
                    element,
                    st.just("tr"),
                    st.lists(
                        st.builds(element, st.just("td"), inline_list),
                        min_size=1,
                        max_size=2,
                    ),
                ),
                min_size=1,
                max_size=2,
            ),
        ),
        WORDS.map(lambda t: ("pre", t)),
    )


BLOCK = st.recursive(
    st.builds(element, st.just("p"), st.lists(INLINE, max_size=3)),
    block_strategy,
    max_leaves=8,
)


def pieces(node, in_code=False):
    """Flatten a node into (html piece, whether a marker after it is in code)."""
    kind = node[0]
    if kind in {"text", "void"}:
        return [(node[1], in_code)]
    if kind in {"code", "pre"}:
        text = node[1]
        return [
            (f"<{kind}>", True),
            (text, True),
            (text, True),
            (f"</{kind}>", in_code),
        ]
    _, tag, attrs, children = node
    out = [(f"<{tag}{attrs}>", in_code)]
    for child in children:
        out.extend(pieces(child, in_code))
    out.append((f"</{tag}>", in_code))
    return out


MARKERS = st.sampled_from(["<!--more-->", "<!-- more -->", "<!--MORE-->"])


@settings(max_examples=300, deadline=None)
@given(st.lists(BLOCK, min_size=1, max_size=4), st.data(), MARKERS)
def test_property_summary_is_balanced_prefix(blocks, data, marker):
    flat = [piece for block in blocks for piece in pieces(block)]
    # The marker goes between two pieces, never inside a tag.
    where = data.draw(st.integers(0, len(flat)))
    in_code = where > 0 and flat[where - 1][1]
    html = (
        "".join(p for p, _ in flat[:where])
        + marker
        + "".join(p for p, _ in flat[where:])
    )
    split = split_at_marker(html, MARKER)
    if in_code:
        assert split is None
        return
    assert split is not None
    whole = _Text(html.replace(marker, "")).text
    summary = _Text(split.summary)
    assert whole.startswith(summary.text)
    assert summary.balanced, split.summary
    assert _Text(split.article).text == whole
    assert marker not in split.article
    assert split.article.count('<span id="more"></span>') == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(BLOCK, min_size=1, max_size=4), st.integers(1, 30))
def test_property_character_cut_is_balanced_prefix(blocks, length):
    html = "".join(p for block in blocks for p, _ in pieces(block))
    summary = cut_by_characters(html, length, "…")
    if summary is None:
        return
    parsed = _Text(summary)
    assert parsed.balanced, summary
    text = parsed.text
    assert "…" in text
    before = text[: text.rindex("…")]
    assert _Text(html).text.startswith(before)
