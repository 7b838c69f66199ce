"""Keep TeX away from Markdown: the ``MathExtension`` for Python-Markdown.

TeX written in a Markdown post (``$...$``, ``$$...$$``, ``\\(...\\)``,
``\\[...\\]``, ``\\begin{equation}...\\end{equation}`` and the other display
environments) is found before Markdown parses the text and handed to
Markdown's ``htmlStash`` as raw HTML, so ``_``, ``*``, ``\\\\``, brackets,
``<``, ``>`` and ``&`` inside it reach the page as TeX (HTML-escaped, which the
browser undoes before MathJax reads the text). Equation references written in
running text (``\\eqref{eq:loss}``, ``\\ref{...}``) are protected the same way.

Rules (those of pandoc's ``tex_math_dollars``):

- ``$`` opens inline math only when a non-space character follows it; the
  first unescaped ``$`` after it closes it, and must have a non-space
  character before it and no digit after it (else there is no math there);
  inline math never spans a blank line, nor contains a backtick (so that a
  code span after a price, "$10 用 `$x$`", stays code). "$5 和 $10" is
  therefore not math.
- ``\\$`` is a literal dollar. It, and every ``$`` that is not math in a
  document that has math, becomes ``<span class="tex-dollar">$</span>`` so
  that MathJax (which does not know pandoc's rule) cannot pair it; so does
  the ``\\`` of ``\\\\[``, ``\\\\(`` and ``\\\\begin`` (which Markdown makes
  ``\\[``..., text that MathJax would read as a display).
- Code spans, fenced code blocks, indented code blocks, HTML tags and comments,
  autolinks, link destinations and image alt texts are left exactly as they
  are.
- Multi-line math inside a blockquote loses the ``>`` prefixes of its
  continuation lines.

The same delimiter rules serve the ``equations`` plugin when it scans the
HTML of an article (:func:`math_span_end`).

The preprocessor runs at priority 24: after ``normalize_whitespace`` (30,
which would delete the stash's STX/ETX characters), after ``meta`` (27, so
metadata lines stay text) and after ``fenced_code`` (25).
"""

from __future__ import annotations

import functools
import html
import re

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

#: The HTML written for a dollar that is not math.
DOLLAR_HTML = '<span class="tex-dollar">$</span>'

#: The HTML written for a display opener that nothing closes (``$$``, ``\\[``,
#: ``\\begin{align}``): the opener stays text, marked as the lone dollar is
#: (so that MathJax cannot pair it, and comment sanitising keeps one class),
#: and the ``equations`` plugin warns about it.
UNCLOSED_HTML = '<span class="tex-dollar">{}</span>'

PRIORITY = 24

# Each matches, from just after an opener, the math's body and its closer, as
# the first unescaped closer (atomic and possessive: one linear pass in C).
_DOUBLE_DOLLAR_BODY = re.compile(r"(?:[^\\$]++|\\.|\$(?!\$))*+\$\$", re.S)
_DOLLAR_BODY = re.compile(r"(?:[^\\$\n]++|\\.|\n(?![ \t]*\n))*+\$", re.S)
_PAREN_BODY = re.compile(r"(?:[^\\\n]++|\\[^)]|\n(?![ \t]*\n))*+\\\)", re.S)
_BRACKET_BODY = re.compile(r"(?:[^\\]++|\\[^\]])*+\\\]", re.S)
#: ``\\begin{ENV}`` (group 1: ENV); equations.py reads environments with it too.
BEGIN_ENV = re.compile(r"\\begin\s*\{([^{}]*)\}")
# A blank line ends a paragraph: Markdown's, and so the math MathJax finds.
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_CLOSERS = {"\\(": _PAREN_BODY, "\\[": _BRACKET_BODY}


def math_span_end(text: str, start: int) -> int | None:
    """End (exclusive) of the math span opening at ``text[start]``, or None.

    ``text[start:]`` starts with ``$``, ``$$``, ``\\(``, ``\\[`` or
    ``\\begin{ENV}``; None when that opener does not begin math by the rules
    in the module docstring. Any environment is math, as MathJax's
    ``processEnvironments`` has it; it ends at the first ``\\end{ENV}`` outside
    braces (MathJax's rule: the same environment does not nest).
    """
    if text.startswith("$$", start):
        return _double_dollar_end(text, start)
    if text.startswith("$", start):
        return _dollar_end(text, start)
    body = _CLOSERS.get(text[start : start + 2])
    if body is not None:
        match = body.match(text, start + 2)
        return match.end() if match else None
    match = BEGIN_ENV.match(text, start)
    if match:
        return _environment_end(text, match)
    return None


def _double_dollar_end(text: str, start: int) -> int | None:
    match = _DOUBLE_DOLLAR_BODY.match(text, start + 2)
    if match is None or not text[start + 2 : match.end() - 2].strip():
        return None
    return match.end()


def _dollar_end(text: str, start: int) -> int | None:
    after = start + 1
    if after >= len(text) or text[after].isspace():
        return None
    match = _DOLLAR_BODY.match(text, after)
    if match is None:
        return None
    end = match.end()
    space_before = text[end - 2].isspace()
    digit_after = end < len(text) and text[end].isdigit()
    return None if space_before or digit_after else end


@functools.lru_cache(maxsize=64)
def _environment_close(name: str) -> re.Pattern[str]:
    """``\\end{NAME}`` (compiled once per name)."""
    return re.compile(rf"\\end\s*\{{{re.escape(name)}\}}")


_BRACE_OR_ESCAPE = re.compile(r"\\.|[{}]", re.S)


def _environment_end(text: str, begin: re.Match[str]) -> int | None:
    """After the first ``\\end{NAME}`` with as many ``{`` as ``}`` before it."""
    close = _environment_close(begin.group(1))
    position = begin.end()
    depth = 0
    while match := close.search(text, position):
        tokens = _BRACE_OR_ESCAPE.findall(text, position, match.start())
        depth += tokens.count("{") - tokens.count("}")
        if depth <= 0:
            return match.end()
        position = match.end()
    return None


# --- finding the math in Markdown source -------------------------------------

_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"[ \t]{0,3}(?:[*+-]|\d+[.)])[ \t]")
_QUOTE_PREFIX = re.compile(r"[ \t]*(?:>[ \t]?)+")

# The lookahead names every token's first character: the regex engine then
# skips plain text quickly instead of trying each alternative at every offset.
_TOKEN = re.compile(
    r"""
    (?=[`<!\]\\$])
    (?:
      (?P<code>`+)
    | (?P<double>\\\\(?=[\[(]|begin(?![A-Za-z])))
    | (?P<skip>
        <!--.*?-->
      | </?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>
      | <[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*>
      | !\[[^\]\n]*\]
      | \]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:\s+"[^"\n]*")?\)
      | \\[\\`]
      )
    | (?P<ref>\\(?:eq)?ref\s*\{[^{}\n]*\})
    | (?P<dollar_escape>\\\$)
    | (?P<math>\\[(\[]|\\begin\s*\{|\$)
    )
    """,
    re.S | re.X,
)


def code_lines(lines: list[str]) -> list[bool]:
    """Which lines are code (fenced or indented), approximately as Markdown sees it.

    Indented code needs four spaces after a blank line, eight inside a list.
    """
    flags: list[bool] = []
    fence: tuple[str, int] | None = None
    in_list = in_code = False
    previous_blank = True
    for line in lines:
        if fence:
            flags.append(True)
            closing = _FENCE.match(line)
            if closing and closing.group(1)[0] == fence[0]:
                fence = None if len(closing.group(1)) >= fence[1] else fence
            continue
        text = line.lstrip()
        if not text:
            flags.append(in_code)
            previous_blank = True
            continue
        opening = _FENCE.match(line) if text[0] in "`~" else None
        if opening:
            fence = (opening.group(1)[0], len(opening.group(1)))
            flags.append(True)
            previous_blank = in_code = False
            continue
        indent = 0
        if line[0].isspace():
            indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        if indent < 4:
            if _LIST_ITEM.match(line):
                in_list = True
            elif previous_blank:
                in_list = False
            in_code = False
        elif indent >= (8 if in_list else 4) and (previous_blank or in_code):
            in_code = True
        else:
            in_code = False
        flags.append(in_code)
        previous_blank = False
    return flags


def _unquote(tex: str, text: str, start: int) -> str:
    """Drop the blockquote ``>`` prefixes from continuation lines of ``tex``."""
    line_start = text.rfind("\n", 0, start) + 1
    prefix = _QUOTE_PREFIX.match(text, line_start)
    if "\n" not in tex or not prefix or prefix.end() > start:
        return tex
    depth = prefix.group().count(">")
    continuation = re.compile(rf"(?m)^[ \t]*(?:>[ \t]?){{1,{depth}}}")
    first, rest = tex.split("\n", 1)
    return first + "\n" + continuation.sub("", rest)


def find_markdown_math(text: str) -> list[tuple[int, int, str]]:
    """Spans of ``text`` (no code in it) to stash, with the HTML for each.

    Lone dollars are among the spans only when the text has math.
    """
    spans: list[tuple[int, int, str]] = []
    lone_dollars: list[int] = []
    lone_displays: list[tuple[int, int, str]] = []
    has_math = False
    position = 0
    while True:
        match = _TOKEN.search(text, position)
        if not match:
            break
        kind = match.lastgroup
        position = match.end()
        if kind == "code":
            closing = re.compile(rf"(?<!`){match.group()}(?!`)")
            close = closing.search(text, match.end())
            blank = text.find("\n\n", match.end())
            if close and (blank < 0 or close.start() < blank):
                position = close.end()
        elif kind == "ref":
            spans.append((match.start(), match.end(), html.escape(match.group())))
        elif kind == "dollar_escape":
            spans.append((match.start(), match.end(), DOLLAR_HTML))
        elif kind == "double":  # Markdown's "\\[" is "\[": not a display
            lone_dollars.append(match.start())
        elif kind == "math":
            start = match.start()
            end = math_span_end(text, start)
            inline = match.group() == "$" and text[start + 1 : start + 2] != "$"
            if end is not None and inline and "`" in text[start:end]:
                end = None
            if end is not None and not inline and _BLANK_LINE.search(text, start, end):
                end = None
            if end is None:
                if inline:
                    lone_dollars.append(start)
                else:  # "$$" marked only in a text with math, as a lone "$"
                    opener = _unclosed_opener(text, start)
                    unclosed = (
                        start,
                        start + len(opener),
                        UNCLOSED_HTML.format(opener),
                    )
                    (lone_displays if opener == "$$" else spans).append(unclosed)
                    position = start + len(opener)
                continue
            tex = _unquote(text[start:end], text, start)
            spans.append((start, end, html.escape(tex)))
            has_math = True
            position = end
    if has_math:
        spans.extend(_lone_span(text, start) for start in lone_dollars)
        spans.extend(lone_displays)
        spans.sort()
    return spans


def _lone_span(text: str, start: int) -> tuple[int, int, str]:
    """A lone ``$``, or a ``\\\\`` before ``[``, ``(`` or ``begin`` (which
    Markdown makes one backslash), marked so that MathJax cannot pair it."""
    if text[start] == "$":
        return start, start + 1, DOLLAR_HTML
    return start, start + 2, UNCLOSED_HTML.format("\\")


def _unclosed_opener(text: str, start: int) -> str:
    """The display opener at ``start``: ``$$``, ``\\[`` or ``\\begin{ENV}``."""
    begin = BEGIN_ENV.match(text, start)
    return begin.group() if begin else text[start : start + 2]


def protect_math(text: str, store) -> str:
    """``text`` with its math (and references) replaced by ``store(html)``.

    ``store`` takes raw HTML and returns the placeholder to put in its place
    (``md.htmlStash.store`` in the extension; anything in tests).
    """
    lines = text.split("\n")
    flags = code_lines(lines)
    out: list[str] = []
    chunk: list[str] = []

    def flush() -> None:
        if chunk:
            out.append(_replace("\n".join(chunk), store))
            chunk.clear()

    for line, is_code in zip(lines, flags, strict=True):
        if is_code:
            flush()
            out.append(line)
        else:
            chunk.append(line)
    flush()
    return "\n".join(out)


def _replace(text: str, store) -> str:
    if "$" not in text and "\\" not in text:
        return text
    spans = find_markdown_math(text)
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end, raw in spans:
        parts.append(text[last:start])
        parts.append(store(raw))
        last = end
    parts.append(text[last:])
    return "".join(parts)


class MathPreprocessor(Preprocessor):
    """Stash every math span (and lone dollar) of the source as raw HTML."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if "$" not in text and "\\" not in text:
            return lines
        return protect_math(text, self.md.htmlStash.store).split("\n")


class MathExtension(Extension):
    """Protect TeX from Markdown: ``Markdown(extensions=[MathExtension()])``.

    It has no options; one instance may serve many ``Markdown`` objects.
    """

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(MathPreprocessor(md), "sujianlin_math", PRIORITY)


def makeExtension(**kwargs) -> MathExtension:
    """Let Markdown load it by name: ``"pelican_sujianlin.math_markdown"``."""
    return MathExtension(**kwargs)
