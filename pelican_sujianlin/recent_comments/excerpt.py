"""The 最近评论 widget's excerpt of a comment: cut between formulas, never
inside one.

The excerpt is made from a rendered body (:class:`~.comment.BodyRenderer`),
in which every formula is a ``<span class="mathjax_process">`` holding TeX
already checked by :func:`~.tex_safety.safe_tex`. Text counts one per
character, a formula the length of its TeX; a formula that would pass the
length ends the excerpt before it (but a comment that starts with a formula
shows it whole when it is not much longer than the excerpt). Text is cut
between characters, never inside a TeX command, and the excerpt is escaped
after the cut, so it never ends inside an entity.

Two forms: ``html``, with each formula as ``\\(...\\)`` (environments as
typed) in a ``mathjax_process`` span for MathJax to typeset, and ``text``,
the same words with the formulas' TeX without delimiters, for a theme that
cannot load MathJax.
"""

from __future__ import annotations

import html
import re
import string
from typing import NamedTuple

from pelican_sujianlin.recent_comments.comment import (
    HTML_TOKEN_RE,
    MATH_CLOSE,
    MATH_OPEN,
)
from pelican_sujianlin.recent_comments.tex_safety import WORD_JOINER, inert_text

ELLIPSIS = "…"
SPACE_RE = re.compile(r"\s+")
# A cut must not leave these at the end: a command's backslash and letters
# (the letters may go on after the cut), a joiner, a lone high surrogate.
# A TeX command name is ASCII letters only: "\\alpha林" ends after "\\alpha".
ASCII_LETTERS = frozenset(string.ascii_letters)
COMMAND_TAIL_RE = re.compile(rf"\\{WORD_JOINER}?[A-Za-z]*$")
FIRST_FORMULA_FACTOR = 4  # a first formula up to 4 × the length is shown whole
BLOCK_TAGS = {"p", "br", "li", "div", "blockquote", "pre", "ul", "ol", "hr"}


class Excerpt(NamedTuple):
    html: str
    text: str


class Formula(NamedTuple):
    tex: str  # what is counted and shown as text: TeX without delimiters
    inline: str  # what MathJax is given


def parts_of(body_html: str) -> list[str | Formula]:
    """A rendered body as text (entities decoded, whitespace collapsed) and
    formulas, in order."""
    parts: list[str | Formula] = []
    text: list[str] = []
    math: list[str] | None = None
    for token in HTML_TOKEN_RE.finditer(body_html):
        value = token.group()
        if math is not None:
            if value == MATH_CLOSE:
                parts += (
                    SPACE_RE.sub(" ", "".join(text)),
                    formula(html.unescape("".join(math))),
                )
                text, math = [], None
            else:
                math.append(value)
        elif value == MATH_OPEN:
            math = []
        elif value[0] == "<" and token.group(2):
            if token.group(2).lower() in BLOCK_TAGS:
                text.append(" ")
        else:  # code keeps its backslashes in the body; not out of it
            text.append(inert_text(html.unescape(value)))
    parts.append(SPACE_RE.sub(" ", "".join(text)))
    return [part for part in parts if part != ""]


def formula(tex: str) -> Formula:
    """A formula's TeX as typed (delimiters included) to its two forms."""
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if (
            tex.startswith(opener)
            and tex.endswith(closer)
            and len(tex) > 2 * len(opener) - 1
        ):
            inner = tex[len(opener) : len(tex) - len(closer)].strip()
            return Formula(inner, f"\\({inner}\\)")
    return Formula(tex, tex)  # an environment: MathJax finds it as it is


def cut_text(text: str, room: int) -> str:
    """At most ``room`` characters of ``text``, not ending inside a command."""
    kept = text[:room]
    tail = COMMAND_TAIL_RE.search(kept)
    if tail is not None:
        letters_go_on = room < len(text) and text[room] in ASCII_LETTERS
        if letters_go_on or len(tail.group().strip("\\" + WORD_JOINER)) == 0:
            kept = kept[: tail.start()]
    if kept and "\ud800" <= kept[-1] <= "\udbff":
        kept = kept[:-1]
    return kept


def excerpt(body_html: str, length: int) -> Excerpt:
    """The excerpt of a rendered body (see the module doc), both escaped."""
    parts = parts_of(body_html)
    if parts and isinstance(parts[0], str):
        parts[0] = parts[0].lstrip()
    if parts and isinstance(parts[-1], str):
        parts[-1] = parts[-1].rstrip()
    shown: list[str | Formula] = []
    used = 0
    cut = False
    for part in parts:
        if isinstance(part, Formula):
            fits = used + len(part.tex) <= length
            first = not any(shown) and len(part.tex) <= FIRST_FORMULA_FACTOR * length
            if not (fits or first):
                cut = True
                break
            shown.append(part)
            used += len(part.tex)
        elif used + len(part) > length:
            shown.append(cut_text(part, max(0, length - used)))
            cut = True
            break
        else:
            shown.append(part)
            used += len(part)
    if cut:
        while shown and isinstance(shown[-1], str) and not shown[-1].strip():
            shown.pop()
        if shown and isinstance(shown[-1], str):
            shown[-1] = shown[-1].rstrip()
        shown.append(ELLIPSIS)
    return Excerpt(
        "".join(
            MATH_OPEN + html.escape(part.inline, quote=False) + MATH_CLOSE
            if isinstance(part, Formula)
            else html.escape(part)
            for part in shown
        ),
        html.escape("".join(p.tex if isinstance(p, Formula) else p for p in shown)),
    )
