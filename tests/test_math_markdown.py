"""The Markdown layer: TeX reaches the HTML untouched, everything else stays Markdown.

A golden table of tricky inputs, rendered with the extensions Pelican enables by
default, plus direct tests of the delimiter rules.
"""

from __future__ import annotations

import markdown
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pelican_sujianlin.math_markdown import (
    DOLLAR_HTML,
    MathExtension,
    code_lines,
    math_span_end,
    protect_math,
)

PELICAN_EXTENSIONS = {
    "markdown.extensions.codehilite": {"css_class": "highlight"},
    "markdown.extensions.extra": {},
    "markdown.extensions.meta": {},
}


@pytest.fixture(scope="module")
def md():
    """Pelican's default extensions, without Pygments (it would split code)."""
    return markdown.Markdown(
        extensions=[MathExtension(), "markdown.extensions.extra", "meta"],
        output_format="html5",
    )


def test_code_untouched_with_pelicans_default_extensions():
    md = markdown.Markdown(
        extensions=[MathExtension(), *PELICAN_EXTENSIONS],
        extension_configs=PELICAN_EXTENSIONS,
        output_format="html5",
    )
    html = md.convert("```\n$a_b$ \\[x\\]\n```\n\n$c_1$")
    assert "<code>$a_b$ \\[x\\]\n</code>" in html
    assert "<p>$c_1$</p>" in html


def render(md, text: str) -> str:
    md.reset()
    return md.convert(text)


# (name, markdown, expected HTML): each a case Markdown alone gets wrong.
GOLDEN = [
    (
        "inline with underscores and asterisks",
        "a $x_1 * y_2*z_3$ b",
        "<p>a $x_1 * y_2*z_3$ b</p>",
    ),
    (
        "html characters are escaped, not tags",
        "$a<b>c & d$",
        "<p>$a&lt;b&gt;c &amp; d$</p>",
    ),
    (
        "double backslash and brackets in display math",
        "$$\\begin{aligned} a &= [x](y) \\\\ b_1 &= c_2 \\end{aligned}$$",
        "<p>$$\\begin{aligned} a &amp;= [x](y) \\\\ b_1 &amp;= c_2 "
        "\\end{aligned}$$</p>",
    ),
    (
        "pandoc: a closing dollar after a space is no closer",
        "价格 $5 和 $10 而已",
        "<p>价格 $5 和 $10 而已</p>",
    ),
    (
        "pandoc: lone dollars are protected once the text has math",
        "价格 $5 和 $10, $x_1$",
        f"<p>价格 {DOLLAR_HTML}5 和 {DOLLAR_HTML}10, $x_1$</p>",
    ),
    (
        "pandoc: a digit right after the closing dollar",
        "from $a$1 on",
        "<p>from $a$1 on</p>",
    ),
    ("escaped dollar", "costs \\$5", f"<p>costs {DOLLAR_HTML}5</p>"),
    (
        "escaped dollar inside math stays TeX",
        "$\\$x_1$",
        "<p>$\\$x_1$</p>",
    ),
    (
        "code span untouched",
        "`$a_b$` and `` `$x$` ``",
        "<p><code>$a_b$</code> and <code>`$x$`</code></p>",
    ),
    (
        "fenced code untouched",
        "```\n$a_b$ \\[x\\]\n```",
        "<pre><code>$a_b$ \\[x\\]\n</code></pre>",
    ),
    (
        "indented code untouched",
        "text\n\n    $a_b$\n\nmore",
        "<pre><code>$a_b$\n</code></pre>",
    ),
    (
        "display math mid-paragraph over several lines",
        "所以\n$$\nf(x_1) = a_1\n- 1\n$$\n成立",
        "<p>所以\n$$\nf(x_1) = a_1\n- 1\n$$\n成立</p>",
    ),
    (
        "a blank line ends a paragraph, and the math MathJax finds in it",
        "所以$x$\n$$\nf(x_1) = *a*\n\n## 下一节\n$$\n成立",
        '<p>所以$x$\n<span class="tex-dollar">$$</span>\nf(x_1) = <em>a</em></p>\n'
        '<h2>下一节</h2>\n<p><span class="tex-dollar">$$</span>\n成立</p>',
    ),
    (
        "Markdown's \\\\[ is \\[ on the page: marked, or MathJax reads a display",
        "$x$ 与\\\\[a\\\\]和\\\\(b\\\\)",
        '<p>$x$ 与<span class="tex-dollar">\\</span>[a\\]和'
        '<span class="tex-dollar">\\</span>(b\\)</p>',
    ),
    (
        "an unclosed environment stays text, marked",
        "\\begin{align}\na_1 &= b\n\n正文",
        '<p><span class="tex-dollar">\\begin{align}</span>\na_1 &amp;= b</p>',
    ),
    (
        "bare aligned and cases in running text keep their rows (MathJax's"
        " processEnvironments typesets any environment)",
        "即 \\begin{aligned} a_1 &= b \\\\ c &= d \\end{aligned} 与"
        " \\begin{cases} 1 \\\\ 0 \\end{cases}",
        "<p>即 \\begin{aligned} a_1 &amp;= b \\\\ c &amp;= d \\end{aligned} 与"
        " \\begin{cases} 1 \\\\ 0 \\end{cases}</p>",
    ),
    (
        "environment mid-paragraph with nested cases",
        "设\n\\begin{equation}\\label{eq:a_b}"
        "f = \\begin{cases} x_1, & x>0 \\\\ -x_2 \\end{cases}\\end{equation}\n即",
        "<p>设\n\\begin{equation}\\label{eq:a_b}f = \\begin{cases} x_1, &amp; "
        "x&gt;0 \\\\ -x_2 \\end{cases}\\end{equation}\n即</p>",
    ),
    (
        "nested braces and \\( \\) and \\[ \\]",
        "\\(\\frac{a_{b_{c}}}{d_1}\\) and \\[x_{\\{1\\}}^*\\]",
        "<p>\\(\\frac{a_{b_{c}}}{d_1}\\) and \\[x_{\\{1\\}}^*\\]</p>",
    ),
    (
        "escaped backslash is no opener",
        "a \\\\[b_1 *c*",
        "<p>a \\[b_1 <em>c</em></p>",
    ),
    (
        "math in a list",
        "- $a_1$ and $b_2$\n- $$c_3 * d_4*$$",
        "<ul>\n<li>$a_1$ and $b_2$</li>\n<li>$$c_3 * d_4*$$</li>\n</ul>",
    ),
    (
        "math in a blockquote loses the prefixes",
        "> $$\n> a_1 \\\\\n> b_2\n> $$",
        "<blockquote>\n<p>$$\na_1 \\\\\nb_2\n$$</p>\n</blockquote>",
    ),
    (
        "math in a table cell keeps its pipe",
        "| a | b |\n|---|---|\n| $|x_1|$ | c |",
        "<td>$|x_1|$</td>",
    ),
    (
        "math in a heading",
        "## The $x_1$ and $y_2$",
        "<h2>The $x_1$ and $y_2$</h2>",
    ),
    (
        "math in a footnote",
        "see[^1]\n\n[^1]: note $y_1 * z_2*$",
        "<p>note $y_1 * z_2*$&#160;",
    ),
    (
        "references in running text",
        "式\\eqref{eq:a_b_c}和\\ref{eq:x_y}以及$\\eqref{eq:z_1}$",
        "<p>式\\eqref{eq:a_b_c}和\\ref{eq:x_y}以及$\\eqref{eq:z_1}$</p>",
    ),
    (
        "dollar in a link destination untouched",
        "[a](https://x.test/$q_1$) $b_1$",
        '<p><a href="https://x.test/$q_1$">a</a> $b_1$</p>',
    ),
    (
        "dollar inside an HTML attribute untouched",
        "<span title='$a_1$'>t</span> $b$",
        "<p><span title='$a_1$'>t</span> $b$</p>",
    ),
    (
        "image alt text untouched",
        "![costs \\$5](i.png) $a_1$",
        '<p><img alt="costs \\$5" src="i.png"> $a_1$</p>',
    ),
    (
        "quotes in math are safe anywhere",
        '$\\text{"a"}_1$',
        "<p>$\\text{&quot;a&quot;}_1$</p>",
    ),
    (
        "unclosed display math is left alone (marked only beside math, as a $)",
        "$$ a_1 *b*",
        "<p>$$ a_1 <em>b</em></p>",
    ),
    (
        "star environments",
        "\\begin{align*}a_1 &= b_1\\\\ c*d &= e*f\\end{align*}",
        "<p>\\begin{align*}a_1 &amp;= b_1\\\\ c*d &amp;= e*f\\end{align*}</p>",
    ),
    (
        "any environment is math to MathJax, so it is protected",
        "\\begin{itemize} *a* \\end{itemize}",
        "<p>\\begin{itemize} *a* \\end{itemize}</p>",
    ),
    (
        "no math, no change",
        "plain *text* with 5$",
        "<p>plain <em>text</em> with 5$</p>",
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"),
    [case[1:] for case in GOLDEN],
    ids=[case[0] for case in GOLDEN],
)
def test_golden(md, source, expected):
    assert expected in render(md, source)


def test_metadata_lines_stay_text():
    md = markdown.Markdown(extensions=[MathExtension(), "markdown.extensions.meta"])
    html = md.convert("Title: The $x_1$ post\n\nbody $y_1$")
    assert md.Meta["title"] == ["The $x_1$ post"]
    assert html == "<p>body $y_1$</p>"


def test_loadable_by_name():
    html = markdown.markdown(
        "$a_1 * b_2*$", extensions=["pelican_sujianlin.math_markdown"]
    )
    assert html == "<p>$a_1 * b_2*$</p>"


def test_one_instance_serves_many_markdown_objects():
    extension = MathExtension()
    for _ in range(3):
        md = markdown.Markdown(extensions=[extension])
        assert md.convert("$a_1 * b_2*$") == "<p>$a_1 * b_2*$</p>"
        assert (
            len([p for p in md.preprocessors if type(p).__name__ == "MathPreprocessor"])
            == 1
        )


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("$a$", 3),
        ("$ a$", None),
        ("$a $", None),
        ("$a$5", None),
        ("$a\\$b$", 6),
        ("$a\n\nb$", None),
        ("$$a$$", 5),
        ("$$ $$", None),
        ("$$a\n\nb$$", 8),
        ("\\(a\\)", 5),
        ("\\(a\n\n\\)", None),
        ("\\[a\\\\b\\]", 8),
        # MathJax ends an environment at the first \end{ENV} outside braces
        ("\\begin{align}a\\begin{align}b\\end{align}\\end{align}x", 39),
        ("\\begin{align}{\\end{align}}\\end{align}x", 37),
        ("\\begin{cases}a\\end{cases}", 25),
        ("\\begin {cases}a\\end {cases}", 27),
        ("\\begin{equation}a", None),
    ],
)
def test_math_span_end(text, end):
    assert math_span_end(text, 0) == end


def test_code_lines():
    lines = [
        "text",
        "    not code (continues a paragraph)",
        "",
        "    code",
        "",
        "    still code",
        "back",
        "- item",
        "",
        "    item paragraph",
        "",
        "        item code",
        "~~~",
        "fenced $x$",
        "~~~",
    ]
    assert code_lines(lines) == [
        False,
        False,
        False,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ]


def test_protect_math_uses_the_store():
    stored: list[str] = []

    def store(raw: str) -> str:
        stored.append(raw)
        return f"@{len(stored) - 1}@"

    out = protect_math("a $x<y$ b \\eqref{eq:1} \\$", store)
    assert out == "a @0@ b @1@ @2@"
    assert stored == ["$x&lt;y$", "\\eqref{eq:1}", DOLLAR_HTML]


MARKDOWNISH = st.lists(
    st.sampled_from([*"ab_*$\\`[]()<>&{}|>-# \n", "\\[", "\\]", "$$", "    "]),
    max_size=40,
).map("".join)


@given(MARKDOWNISH)
def test_never_crashes_and_keeps_math_verbatim(text):
    md = markdown.Markdown(extensions=[MathExtension(), "extra"])
    md.convert(text)
    stored: list[str] = []
    protect_math(text, lambda raw: stored.append(raw) or "\x00")
    for raw in stored:
        marked = raw.startswith('<span class="tex-dollar">')
        assert raw == DOLLAR_HTML or marked or raw.startswith(("$", "\\"))
