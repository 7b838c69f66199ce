"""Comments written by strangers: TeX that cannot script or cover the page,
Markdown in linear time, excerpts cut between formulas, and random comment
files thrown at real builds.

The browser half (MathJax 3 and 4 in Chromium) is test_comment_security_browser.py.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_recent_comments import comment_file, post

from pelican_sujianlin.recent_comments.comment import (
    FORMULA_LIMIT,
    MARKDOWN_LIMIT,
    BodyRenderer,
    clean_line,
    written_safely,
)
from pelican_sujianlin.recent_comments.excerpt import excerpt
from pelican_sujianlin.recent_comments.tex_safety import (
    ALLOWED_COMMANDS,
    ALLOWED_SYMBOLS,
    TOKEN_RE,
    WORD_JOINER,
    safe_tex,
)
from pelican_sujianlin.settings import UNSAFE_CHARACTERS

MATH_SPAN_RE = re.compile(r'<span class="mathjax_process">(.*?)</span>', re.S)

HOSTILE_TEX = [
    r"$\href{javascript:alert(1)}{x}$",
    r"$\href{JaVaScRiPt:alert(1)}{x}$",
    r"$\href{ javascript:alert(1)}{x}$",
    r"$\href{data:text/html,<script>alert(1)</script>}{x}$",
    r"$\href{//evil.example/}{x}$",
    r"$\href{https://ok.example/}{\href{javascript:alert(1)}{x}}$",
    r"$\style{position:fixed;top:0;left:0;width:100vw;height:100vh}{x}$",
    r"$\class{read-more}{x}\cssId{comments}{y}$",
    r"$\require{action}\toggle{a}{b}\endtoggle$",
    r"$\unicode[some-font;position:fixed]{x41}$",
    r"$\def\h{\href}\h{javascript:alert(1)}{x}$",
    r"$\newcommand{\h}{\href}\h{javascript:alert(1)}{x}$",
    r"$\let\h=\href \h{javascript:alert(1)}{x}$",
    r"$\url{javascript:alert(1)}$",
    r"$\html{x}\data{x}\attr{x}\mmlToken{mi}[href=javascript:1]{x}$",
    r"$\bbox[position:fixed;top:0]{x}$",
    r"$\text{$\href{javascript:alert(1)}{x}$}$",
    r"$\mathrm{\href{javascript:alert(1)}{x}}$",
    r"$x\kern-999em\rule{9999em}{9999em}\raise{99em}{x}\hspace{-99em}$",
    r"$\begin{array}{p{-999em}}x\end{array}$",
    r"$\begin{matrix}a\\[-999em]b\end{matrix}$",
    r"$\color{red;position:fixed}{x}\colorbox{red}{x}$",
    r"\(\href{javascript:alert(1)}{x}\)",
    r"\[\style{position:fixed}{x}\]",
    "$$\\href{javascript:alert(1)}{x}$$",
    r"\begin{equation}\href{javascript:alert(1)}{x}\end{equation}",
    r"$\setOptions{tex}{maxMacros=1}\verb|\href{javascript:1}{x}|$",
    r"$\huge\href" + "\n" + r"{javascript:alert(1)}{x}$",
    r"$\hre\f{javascript:1}{x}$",
]
KEPT_AS_TYPED = [
    r"$\tilde{\beta}_t$",
    r"$1-\alpha_t$",
    r"$$\int_0^1 \frac{\mathrm{d}x}{\sqrt{1-x^2}} = \frac{\pi}{2}$$",
    r"\begin{aligned} a &= b \\ c &\leq \left\| d \right\| \end{aligned}",
    r"$\boldsymbol{\mu}_{\theta}(\boldsymbol{x}_t, t)\,\text{和}\,\mathcal{N}$",
    r"$\begin{pmatrix}1 & 0\\ 0 & 1\end{pmatrix}$",
    r"$\begin{array}{c|c}a & b\end{array}$",
    r"$\color{red}{x} + \href{https://kexue.fm/archives/9119}{y}$",
    r"$\{x \mid x > 0\}\quad \% \; \#$",
]


def control_words(tex: str) -> list[tuple[str, int]]:
    """Each control sequence MathJax would read in ``tex``, with its end."""
    return [
        (match.group(1) or match.group(2) or "", match.end())
        for match in TOKEN_RE.finditer(tex)
    ]


def assert_safe_tex(tex: str) -> None:
    """Every command allowed; every \\href argument an http(s) URL."""
    for name, end in control_words(tex):
        if name in ALLOWED_COMMANDS or (len(name) == 1 and name in ALLOWED_SYMBOLS):
            if name == "href":
                assert re.match(r"\s*\{https?://", tex[end:]), tex
            continue
        raise AssertionError(f"\\{name} in {tex!r}")
    assert "javascript:" not in re.sub(r"\\text\{[a-zA-Z]+\}", "", tex) or all(
        not re.match(r"\s*\{\s*javascript", tex[end:])
        for name, end in control_words(tex)
        if name == "href"
    )


@pytest.mark.parametrize("tex", HOSTILE_TEX)
def test_hostile_tex_keeps_no_command_off_the_list(tex):
    safe = safe_tex(tex)
    assert_safe_tex(safe)
    assert safe != tex
    assert safe_tex(safe) == safe  # what is safe stays as it is


@pytest.mark.parametrize("tex", KEPT_AS_TYPED)
def test_ordinary_comment_math_is_kept_as_typed(tex):
    assert safe_tex(tex) == tex


def test_refused_commands_become_text_and_the_rest_stays():
    assert safe_tex(r"a\href{javascript:x}{y}b") == (
        r"a\backslash\text{href}{javascript:x}{y}b"
    )
    assert safe_tex("\\\\[-9em]") == "\\\\{}[-9em]"
    assert safe_tex("x\\") == "x\\backslash{}"


TEX_PIECES = st.sampled_from(
    [
        *r"\{}[]$%&#^_~'()|:;,!",
        "\\",
        "{",
        "}",
        " ",
        "\n",
        "x",
        "é",
        "\U0001d400",
        *["\\href", "\\style", "\\def", "\\let", "\\text", "\\begin", "\\end", "\\\\"],
        *["{javascript:alert(1)}", "{https://ok.example/}", "{array}", "{p{1em}}"],
        *["{cc}", "[t]", "[-9em]", "\\color", "{red}", "\\frac", "\\alpha", "\\h"],
        *["\\unicode", "\\require", "\\cssId", "\\class", "\\bbox", "\\kern", "ref"],
    ]
)


@given(st.lists(TEX_PIECES, max_size=40).map("".join))
@settings(max_examples=1500, deadline=None)
def test_random_tex_keeps_no_command_off_the_list(tex):
    safe = safe_tex(tex)
    assert_safe_tex(safe)
    assert safe_tex(safe) == safe


# --- bodies, authors and the widget -------------------------------------------


def test_every_formula_of_a_body_is_checked_and_nothing_else_is_tex():
    render = BodyRenderer()
    body = render(
        "式 $\\href{javascript:alert(1)}{x}$ 和 $ \\href{javascript:alert(2)}{y}$"
        " 以及 \\\\href{javascript:alert(3)}{z} `\\href{javascript:4}` [a]\n\n"
        '[a]: http://x "$\\href{javascript:5}{t}$"'
    )
    formulas = MATH_SPAN_RE.findall(body)
    assert formulas == ["$\\backslash\\text{href}{javascript:alert(1)}{x}$"]
    outside = MATH_SPAN_RE.sub("", body)
    outside = re.sub(r"<code>.*?</code>|<[^>]*>", "", outside)  # text only
    assert "\\href" not in outside  # the prose backslashes carry a joiner
    assert f"\\{WORD_JOINER}href" in outside
    assert "<code>\\href{javascript:4}</code>" in body  # code stays as typed
    # a formula Markdown put in an attribute comes back as the text typed
    assert 'title="$\\href{javascript:5}{t}$"' in body


def test_a_formula_over_the_limit_is_shown_as_text_not_typeset():
    """One formula of 100,000 rows froze a page in MathJax 4 for a minute."""
    render = BodyRenderer()
    rows = "$" + "a\\\\" * 50_000 + "$"
    body = render("前 " + rows + " 后 $x^2$")
    assert MATH_SPAN_RE.findall(body) == ["$x^2$"]  # only the short one typesets
    assert "前" in body
    assert "后" in body
    assert f"\\{WORD_JOINER}\\" in body  # the long one's TeX, inert text
    long_enough = "$" + "x" * (FORMULA_LIMIT - 2) + "$"
    assert MATH_SPAN_RE.findall(render(long_enough)) == [long_enough]


def test_author_names_hold_no_tex_command():
    name = clean_line("$\\href{javascript:alert(1)}{x}$ \\(\\style{a}{b}\\)")
    assert "\\href" not in name
    assert "\\(" not in name
    assert html.unescape(name).replace(WORD_JOINER, "") == (
        "$\\href{javascript:alert(1)}{x}$ \\(\\style{a}{b}\\)"
    )


def test_author_names_lose_control_characters():
    # a NUL or an escape in a name made the page a "binary" file
    assert clean_line("nu\x00l\x1b[31m\x7f \x0b林") == "nul[31m 林"


@pytest.mark.parametrize("raw_html", [True, False])
def test_bodies_lose_what_a_page_cannot_carry(raw_html):
    """Control characters (tab and newline kept) and U+FFFE/U+FFFF leave a
    body on every path: prose, Markdown, math."""
    render = BodyRenderer(raw_html=raw_html)
    for text in (
        "a\x1bb \uffff c\x7f",
        "**a**\x00 [x](http://e.com)\ufffe",
        "$x\x08$ y",
    ):
        body = render(text)
        assert not UNSAFE_CHARACTERS.search(body), (text, body)
    assert render("甲\x1b乙\t丙") == "<p>甲乙\t丙</p>"


def test_bodies_over_the_limit_are_plain_paragraphs_with_a_warning(caplog):
    render = BodyRenderer()
    render.where = "Comment comments/a/long.md"
    text = "[" * (MARKDOWN_LIMIT + 1) + " $\\href{javascript:1}{x}$ <b>"
    body = render(text)
    assert body.startswith("<p>[[[")
    assert "&lt;b&gt;" in body
    assert MATH_SPAN_RE.findall(body) == ["$\\backslash\\text{href}{javascript:1}{x}$"]
    assert "comments/a/long.md" in caplog.text
    assert str(MARKDOWN_LIMIT) in caplog.text


# Each was measured with Python-Markdown, the old renderer: 20 KB of "[" took
# 79 s, 150 KB did not finish in 300 s; 1 MB would take hours. The bound is
# generous so that no slow machine fails; markdown-it and the limit take
# a second or two.
HOSTILE_MARKDOWN = ["[", "![", "*_", "[a](", "<", "`", "> ", "- ", "\\", "&#"]


@pytest.mark.parametrize("unit", HOSTILE_MARKDOWN)
def test_hostile_markdown_renders_in_linear_time(unit):
    render = BodyRenderer()
    for size in (MARKDOWN_LIMIT - 10, 1_000_000):
        text = unit * (size // len(unit))
        start = time.perf_counter()
        render(text)
        assert time.perf_counter() - start < 60, (unit, size)


def test_one_megabyte_hostile_comment_builds_in_seconds(build_site, tmp_path):
    theme = theme_with_partials(tmp_path)
    content = {
        "first.md": post("first", 1, "第一篇"),
        "comments/first/huge.md": comment_file("x", "2024-02-05", "[" * 1_000_000),
        "comments/first/ok.md": comment_file("y", "2024-02-06", "好 $x$"),
    }
    start = time.perf_counter()
    site = build_site(content, THEME_TEMPLATES_OVERRIDES=[theme])
    assert time.perf_counter() - start < 60
    page = site.read("first.html")
    assert "comment-huge" in page
    assert "comment-ok" in page
    assert any("huge.md" in w and "plain paragraphs" in w for w in site.warnings)


# --- excerpts (issue 17) -------------------------------------------------------

TEX_COMMENTS = [
    "式(5)里后验方差$\\tilde{\\beta}_t$和$1-\\alpha_t$取哪个更好？"
    "我试了$\\sigma_t^2=\\tilde{\\beta}_t$，FID是$3.17$。",
    "$\\mathcal{L}=\\mathbb{E}_{x_0,\\epsilon}\\left[\\|\\epsilon-"
    "\\epsilon_\\theta(\\sqrt{\\bar{\\alpha}_t}x_0+\\sqrt{1-\\bar{\\alpha}_t}"
    "\\epsilon,t)\\|^2\\right]$是不是少了权重？",
    "$$\\int_0^1 f(x)\\,\\mathrm{d}x$$\n\n然后\\(a\\)与\\[b^2\\]，"
    "\\begin{align}x&=y\\end{align}还有 \\alpha 在正文里 &amp; &lt;b&gt; 🙂🙂",
    "价格 $5 和 $10，公式$x$，路径 C:\\Users\\name \\eqref{eq:a} 😀" * 3,
]


def shown_formulas(excerpt_html: str) -> list[str]:
    return [html.unescape(tex) for tex in MATH_SPAN_RE.findall(excerpt_html)]


def test_a_cut_after_a_whole_command_keeps_it():
    """Command names are ASCII: a CJK letter after one does not extend it."""
    from pelican_sujianlin.recent_comments.excerpt import cut_text

    assert cut_text("\\alpha林", 6) == "\\alpha"
    assert cut_text("\\alphabet", 6) == ""  # cut inside a command name


@pytest.mark.parametrize("text", TEX_COMMENTS)
@pytest.mark.parametrize("flavour", ["file", "isso"])
def test_excerpts_cut_at_every_length_never_inside_a_formula(text, flavour):
    render = BodyRenderer(raw_html=flavour == "file")
    body = render(text)
    formulas = {html.unescape(tex) for tex in MATH_SPAN_RE.findall(body)}
    whole = {inline_form(tex) for tex in formulas}
    for length in range(1, 201):
        short = excerpt(body, length)
        for tex in shown_formulas(short.html):
            assert tex in whole, (length, tex)
        text_part = html.unescape(MATH_SPAN_RE.sub("", short.html))
        plain = html.unescape(short.text)
        for shown in (text_part, plain):
            assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;)", html.escape(shown))
            assert not any("\ud800" <= char <= "\udfff" for char in shown)
        if short.text.endswith("…"):
            before = plain[:-1]
            cut_command = re.search(rf"\\{WORD_JOINER}?([A-Za-z]*)$", before)
            if cut_command:  # a command at the end is whole, never cut
                assert re.search(
                    rf"\\{WORD_JOINER}?{cut_command.group(1)}(?![A-Za-z])",
                    html.unescape(excerpt(body, 10_000).text),
                ), (length, before)
        assert len(plain.rstrip("…")) <= max(length, longest_formula(formulas) + 1) + 1


def inline_form(tex: str) -> str:
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if tex.startswith(opener) and tex.endswith(closer):
            return "\\(" + tex[len(opener) : len(tex) - len(closer)].strip() + "\\)"
    return tex


def longest_formula(formulas: set[str]) -> int:
    return max((len(tex) for tex in formulas), default=0)


def test_a_long_first_formula_is_shown_whole_or_not_at_all():
    body = BodyRenderer()("$" + "x+" * 20 + "y$ 之后的文字")
    assert shown_formulas(excerpt(body, 35).html) == ["\\(" + "x+" * 20 + "y\\)"]
    body = BodyRenderer()("$" + "x+" * 200 + "y$ 之后的文字")
    assert excerpt(body, 35) == ("…", "…")


# --- random comment files thrown at a real build -------------------------------


def theme_with_partials(tmp_path: Path) -> str:
    folder = tmp_path / "theme-overrides"
    folder.mkdir(exist_ok=True)
    (folder / "base.html").write_text(
        '{% extends "!simple/base.html" %}{% block head %}{{ super() }}'
        '{% include "sujianlin/mathjax.html" %}{% endblock %}{% block footer %}'
        '{% include "sujianlin/recent_comments.html" %}{{ super() }}{% endblock %}',
        encoding="utf-8",
    )
    (folder / "article.html").write_text(
        '{% extends "!simple/article.html" %}{% block content %}{{ super() }}'
        '{% include "sujianlin/comments.html" %}{% endblock %}',
        encoding="utf-8",
    )
    return str(folder)


BODY_PIECES = st.sampled_from(
    [
        *HOSTILE_TEX,
        *KEPT_AS_TYPED,
        *["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[a](", ")"],
        *["[x](javascript:alert(1))", "<a href='data:text/html,1'>d</a>", "&#106;"],
        *["\n", "\n\n", "> ", "- ", "`", "```\n", "$", "\\", "**", "_", "文字"],
        *["<svg onload=1>", '<span style="position:fixed">s</span>', "\ue000"],
        *["\\eqref{x}", "{", "}", "\\(", "\\)", "\\[", "\\]", "%", "\U000f0001"],
    ]
)
META_PIECES = st.sampled_from(
    [
        *["replyto: ok", "replyto: nope", "slug: ok", "website: javascript:alert(1)"],
        *["website: https://ok.example/", "email: a@b.example", "date: 2024-13-45"],
        *["author: $\\href{javascript:alert(1)}{x}$", "author:", "Title: 像文章"],
    ]
)
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "poster", "background",
    "xlink:href", "srcset", "cite",
}  # fmt: skip


@st.composite
def comment_files(draw) -> dict[str, str]:
    files = {}
    for number in range(draw(st.integers(0, 4))):
        meta = draw(st.lists(META_PIECES, max_size=3))
        body = draw(st.lists(BODY_PIECES, max_size=12).map("".join))
        head = f"author: 路人\ndate: 2024-02-0{number % 9 + 1}\n"
        files[f"comments/first/r{number}.md"] = head + "\n".join(meta) + "\n\n" + body
    if draw(st.booleans()):
        files["comments/first/bytes.md"] = draw(st.binary(max_size=60)).decode(
            "latin-1"
        )
    return files


@pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")
@given(comment_files())
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_random_comment_files_build_safely(build_site, tmp_path, files):
    theme = theme_with_partials(tmp_path)
    content = {
        "first.md": post("first", 1, "第一篇") + "\n$x$\n",
        "second.md": post("second", 2, "第二篇"),
        "comments/first/ok.md": comment_file("邻居", "2024-02-01", "正常 $\\alpha$"),
        "comments/second/ok2.md": comment_file("邻居二", "2024-02-02", "也正常"),
        **files,
    }
    site = build_site(content, THEME_TEMPLATES_OVERRIDES=[theme])  # no exception
    first = site.read("first.html")
    assert 'id="comment-ok"' in first  # the valid neighbours are all shown
    assert 'id="comment-ok2"' in site.read("second.html")
    for name, data in site.files().items():
        if not name.endswith((".html", ".xml", ".json")):
            continue
        assert_no_live_markup(name, data.decode("utf-8"))


def assert_no_live_markup(name: str, text: str) -> None:
    page = BeautifulSoup(text, "html.parser")
    scripts = page.find_all("script")
    assert all(
        script.get("id") == "MathJax-script" or "window.MathJax" in script.text
        for script in scripts
    ), name  # only mathjax.html's own scripts
    for tag in page.find_all(True):
        for attribute, value in tag.attrs.items():
            assert not attribute.lower().startswith("on"), (name, str(tag)[:200])
            if attribute.lower() in URL_ATTRIBUTES:
                scheme = re.match(r"\s*([A-Za-z][\w+.-]*):", str(value))
                assert scheme is None or scheme[1].lower() in {"http", "https"}, (
                    name,
                    str(tag)[:200],
                )
    for formula in MATH_SPAN_RE.findall(text):
        assert_safe_tex(html.unescape(formula))
    for section in page.select("#comments, #recent-comments"):
        assert "mathjax_ignore" in section["class"], name
        for node in section.find_all(string=True):
            if node.find_parent(["code", "pre"]) is None:
                # prose backslashes carry a joiner; formulas shown as text
                # (the widget on a page without MathJax) were checked
                assert_safe_tex(str(node).replace("\\" + WORD_JOINER, ""))


def test_clean_line_drops_noncharacters():
    """U+FFFE and U+FFFF, which XML 1.0 refuses, leave an author's name."""
    assert clean_line("x\uffffy\ufffe z") == "xy z"


# --- Markdown that skips nh3 -----------------------------------------------------

FILE_RENDERER = BodyRenderer(raw_html=True)
ISSO_RENDERER = BodyRenderer(raw_html=False)

# Markdown the sanitiser must see (raw HTML, images, headings, link titles,
# other schemes, odd URLs) among what markdown-it writes safely by itself.
MARKDOWN_PIECES = [
    *"ab林 .'\"!&*_~`[]()<>\\:/",
    *["\n", "\n\n", "  \n", "\xa0", "- ", "* ", "1. ", "3. ", "> ", "    "],
    *["```\n", "```py\n", "---\n", "# ", "**", "~~", "&amp;", "&copy;", "&#60;"],
    *['[a](http://x.example/p?q=1&r="2")', "[a](https://x.example)", "[a](/rel)"],
    *["[a](HTTP://X.example)", "[a](mailto:a@b.example)", "[a](javascript:alert(1))"],
    *['[a](http://x.example "t")', "<http://auto.example/>", "[a](http://)"],
    *["![i](http://img.example/i.png)", "<b>", "<script>x</script>", "http://x"],
    *["[a](http://[::1]/)", "[a](http://x.example/%zz)", "[a](http://x_y.example)"],
    *["[a](http://x.example:99999/)", "[a](http://x.example:8080/)"],
]


@given(st.lists(st.sampled_from(MARKDOWN_PIECES), max_size=25).map("".join))
@settings(max_examples=1500, deadline=None)
def test_markdown_that_skips_the_sanitiser_is_what_the_sanitiser_writes(text):
    """nh3 is the oracle: whatever markdown-it writes without it is exactly
    what nh3 would have made of it, in both flavours."""
    for render in (FILE_RENDERER, ISSO_RENDERER):
        assert render.markdown(text) == render.markdown(text, sanitise=True), text


def test_plain_markdown_skips_the_sanitiser():
    """Lists, quotes, code and http(s) links are written without nh3; raw
    HTML, images, headings and other links are not."""
    safe = "- **a** [b](https://x.example/?q=1)\n- `c`\n\n> d\n\n---"
    tokens = FILE_RENDERER.md.parse(safe)
    assert written_safely(tokens)
    for unsafe in ("<b>x</b>", "![i](http://x.example/i.png)", "# h", "[a](/x)"):
        assert not written_safely(FILE_RENDERER.md.parse(unsafe)), unsafe
