"""One comment, and the text functions that make its parts safe for templates.

Every comment field is untrusted. :class:`Comment` holds only values that are
already safe to print as they are: ``author`` and ``excerpt`` are HTML-escaped
plain text, ``website`` is an escaped http(s) URL or empty, ``avatar`` is
empty, an MD5 hash or (in a built site) the escaped ``COMMENTS_AVATAR_URL``
with that hash, ``body`` is HTML sanitised by nh3 (or written by markdown-it
from safe parts alone, :func:`written_safely`, or, for the plain prose most
comments are, built from escaped text by :func:`inline_paragraphs`), ``anchor``
contains only word characters, dots and dashes. Math in a body or an excerpt
has passed :func:`~.tex_safety.safe_tex` and sits in
``<span class="mathjax_process">``; no other text of a comment holds a TeX
command (:func:`~.tex_safety.inert_text`).
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from pelican_sujianlin.math_markdown import DOLLAR_HTML, protect_math
from pelican_sujianlin.recent_comments.tex_safety import inert_text, safe_tex
from pelican_sujianlin.settings import UNSAFE_CHARACTERS

if TYPE_CHECKING:
    import nh3
    from markdown_it import MarkdownIt

logger = logging.getLogger(__name__)

ALLOWED_TAGS = {
    "a",
    "p",
    "br",
    "em",
    "strong",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "sub",
    "sup",
    "hr",
    "span",
    "div",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
# The only class a body keeps: MathExtension's marker for a dollar that is not
# math. Other classes could borrow the page's own hooks (read-more, eqref...).
ALLOWED_CLASSES = {"span": {"tex-dollar"}}
LINK_REL = "nofollow ugc noopener"
SAFE_SCHEMES = {"http", "https"}

SPACE_RE = re.compile(r"\s+")
UNSAFE_URL_CHAR_RE = re.compile(r"[\s\x00-\x1f\x7f]")
ANCHOR_UNSAFE_RE = re.compile(r"[^\w.-]+")


@dataclass(eq=False, slots=True)
class Comment:
    """A published comment, every field safe to print (see the module doc).

    The texts derived from ``date``, ``slug`` and ``article`` are properties:
    a build holds thousands of comments and prints each of them once or twice.
    """

    author: str
    date: datetime
    excerpt: str = ""  # with its formulas for MathJax (see .excerpt)
    excerpt_text: str = ""  # the same, formulas as TeX without delimiters
    body: str = ""
    website: str = ""
    avatar: str = ""
    source: str = "file"
    slug: str = ""
    replyto: str = ""
    article: Any = None
    # A list once the comment has replies; one shared empty tuple until then.
    replies: list[Comment] | tuple[()] = ()
    # ``date`` as ISO text, made when first asked (a page prints it twice).
    _iso: str = field(default="", init=False, repr=False)

    @property
    def anchor(self) -> str:
        """The comment's element id: ``comment-SLUG`` (``isso-ID`` for Isso)."""
        return f"{'isso' if self.source == 'isso' else 'comment'}-{self.slug}"

    @property
    def url(self) -> str:
        """``ARTICLE_URL#ANCHOR``, relative like ``article.url``."""
        return "" if self.article is None else f"{self.article.url}#{self.anchor}"

    @property
    def date_text(self) -> str:
        """``2021-10-10 09:05``, cut from :attr:`iso_date`."""
        iso = self.iso_date
        return f"{iso[:10]} {iso[11:16]}"

    @property
    def iso_date(self) -> str:
        if not self._iso:
            self._iso = self.date.isoformat()
        return self._iso

    @property
    def timestamp(self) -> float:
        return self.date.timestamp()


def make_markdown(*, raw_html: bool) -> MarkdownIt:
    """A CommonMark parser (markdown-it-py, built for untrusted input) to
    reuse for many comments.

    ``raw_html=False`` renders the way Isso does: HTML typed in a comment is
    shown as text, not interpreted. Nesting stops at markdown-it's limit.
    Every link is parsed as a link (nh3 then drops a URL that is not
    http(s) and keeps the text), as Isso does, rather than shown as typed.
    markdown-it is imported here, on first use, like nh3.
    """
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": raw_html}).enable("strikethrough")
    md.validateLink = lambda url: True
    return md


def make_cleaner() -> nh3.Cleaner:
    """The sanitiser of every comment body Markdown renders.

    nh3 is imported here, on first use: a build whose comments are all plain
    prose (the shortcut of :func:`inline_paragraphs`) never loads it.
    """
    import nh3

    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        clean_content_tags={"script", "style"},
        url_schemes=SAFE_SCHEMES,
        url_relative="deny",
        link_rel=LINK_REL,
    )


# markdown-it decodes "&lt;"; Isso shows it as typed. Hiding every "&" behind
# a private-use character keeps Markdown from seeing entities.
AMPERSAND_MARK = "\ue000"

#: Comments longer than this (characters) are not given to Markdown: they are
#: shown as escaped paragraphs, math still typeset, with a warning.
MARKDOWN_LIMIT = 20_000

# A math span stands in the text given to Markdown as two private-use
# characters of planes 15 and 16 (the span's number, base 65,534); a reader's
# own characters of those planes become U+FFFD.
PLACEHOLDER_RE = re.compile("[\U000f0000-\U000ffffd][\U00100000-\U0010fffd]")
PRIVATE_PLANES_RE = re.compile("[\U000f0000-\U0010ffff]")
PLACEHOLDER_BASE = 65_534
# A comment formula longer than this is shown as its TeX, not typeset:
# MathJax 4 froze a page for a minute on one of 100,000 rows.
FORMULA_LIMIT = 2_000
MATH_OPEN = '<span class="mathjax_process">'
MATH_CLOSE = "</span>"
# nh3's output: a tag (attributes always double-quoted) or text.
HTML_TOKEN_RE = re.compile(r'<(/?)([A-Za-z][A-Za-z0-9]*)?(?:[^>"]|"[^"]*")*>|[^<]+|<')
CODE_TAGS = {"code", "pre"}
REF_RE = re.compile(r"\\(?:eq)?ref\{")


def placeholder(number: int) -> str:
    high, low = divmod(number, PLACEHOLDER_BASE)
    return chr(0xF0000 + high) + chr(0x100000 + low)


def placeholder_number(mark: str) -> int:
    return (ord(mark[0]) - 0xF0000) * PLACEHOLDER_BASE + ord(mark[1]) - 0x100000


@dataclass(slots=True)
class Piece:
    """A span kept away from Markdown: ``raw`` as typed, ``html`` as shown."""

    raw: str
    html: str


MARKED_OPEN = DOLLAR_HTML[: DOLLAR_HTML.index(">") + 1]  # <span class="tex-dollar">


def piece_for(stored: str) -> Piece:
    """A :func:`protect_math` span (HTML-escaped) as a :class:`Piece`: math
    passes :func:`safe_tex` and is marked for MathJax; a lone dollar, an
    ``\\eqref`` in prose and a formula over ``FORMULA_LIMIT`` stay text."""
    if stored == DOLLAR_HTML:
        return Piece("$", DOLLAR_HTML)
    if stored.startswith(MARKED_OPEN):  # an opener nothing closes: text
        raw = html.unescape(stored[len(MARKED_OPEN) : -len("</span>")])
        return Piece(raw, MARKED_OPEN + html.escape(inert_text(raw), False) + "</span>")
    raw = html.unescape(stored)
    if REF_RE.match(raw) or len(raw) > FORMULA_LIMIT:
        return Piece(raw, html.escape(inert_text(raw), quote=False))
    return Piece(raw, MATH_OPEN + html.escape(safe_tex(raw), quote=False) + MATH_CLOSE)


def protect(text: str, math: bool) -> tuple[str, list[Piece]]:
    """``text`` with each math span replaced by a placeholder, and the spans
    (and without the characters a page cannot carry)."""
    if UNSAFE_CHARACTERS.search(text):
        text = UNSAFE_CHARACTERS.sub("", text)
    if PRIVATE_PLANES_RE.search(text):
        text = PRIVATE_PLANES_RE.sub("\ufffd", text)
    pieces: list[Piece] = []
    if not math or ("$" not in text and "\\" not in text):
        return text, pieces

    def store(stored: str) -> str:
        pieces.append(piece_for(stored))
        return placeholder(len(pieces) - 1)

    return protect_math(text, store), pieces


def finish(html_text: str, pieces: list[Piece]) -> str:
    """Sanitised HTML with its math put back, and MathJax kept out of the
    rest: outside code, every backslash of the text gets a WORD JOINER after
    it (:func:`inert_text`); a placeholder that Markdown put in code or in an
    attribute comes back as the text typed."""
    if "\\" not in html_text and not pieces:
        return html_text
    if '="' not in html_text:  # no attribute (the shortcut's HTML): a split
        return finish_bare(html_text, pieces)
    out: list[str] = []
    code_depth = 0
    for token in HTML_TOKEN_RE.finditer(html_text):
        value = token.group()
        if value[0] == "<" and token.group(2):
            if token.group(2).lower() in CODE_TAGS:
                code_depth += -1 if token.group(1) else 1
            out.append(fill(value, pieces, "attribute"))
        else:
            out.append(fill(value, pieces, "code" if code_depth > 0 else "text"))
    return "".join(out)


CODE_BLOCK_RE = re.compile(r"(<code>.*?</code>|<pre>.*?</pre>)", re.S)


def finish_bare(html_text: str, pieces: list[Piece]) -> str:
    """:func:`finish` for HTML whose tags have no attributes."""
    parts = CODE_BLOCK_RE.split(html_text)
    return "".join(
        fill(part, pieces, "code" if number % 2 else "text")
        for number, part in enumerate(parts)
    )


def fill(value: str, pieces: list[Piece], where: str) -> str:
    """``value`` (text, code or a tag) with its placeholders put back: as
    shown in text (which is also made inert), as typed in code and tags."""
    if where == "text":
        value = inert_text(value)
    if not pieces or not PLACEHOLDER_RE.search(value):
        return value
    if where == "text":
        return PLACEHOLDER_RE.sub(
            lambda m: pieces[placeholder_number(m[0])].html, value
        )
    quote = where == "attribute"
    return PLACEHOLDER_RE.sub(
        lambda m: html.escape(pieces[placeholder_number(m[0])].raw, quote), value
    )


class BodyRenderer:
    """Markdown to sanitised HTML with one parser and one cleaner.

    Math is found as :mod:`~pelican_sujianlin.math_markdown` finds it, kept
    away from Markdown, checked by :func:`safe_tex` and written inside
    ``<span class="mathjax_process">``; the partials put comments inside
    ``mathjax_ignore``, so MathJax typesets nothing else of them.
    ``where`` names the comment being rendered, for the warning about a
    comment over :data:`MARKDOWN_LIMIT`.
    """

    def __init__(
        self, *, raw_html: bool = True, math: bool = True, limit: int = MARKDOWN_LIMIT
    ) -> None:
        self.raw_html = raw_html
        self.math = math
        self.limit = limit
        self.where = "a comment"
        self.reported: set[str] = set()

    @functools.cached_property
    def cleaner(self) -> nh3.Cleaner:
        return make_cleaner()

    @functools.cached_property
    def md(self) -> MarkdownIt:
        return make_markdown(raw_html=self.raw_html)

    def __call__(self, text: str, *, shortcut: bool = True) -> str:
        """A comment's body; ``shortcut=False`` always takes Markdown's path
        (the shortcut gives the same HTML, see :func:`inline_paragraphs`)."""
        text, pieces = protect(text, self.math)
        if len(text) > self.limit:
            self.report_long(len(text))
            return finish(escaped_paragraphs(text), pieces)
        simple = inline_paragraphs(text) if shortcut else None
        if simple is not None:
            return finish(as_sanitiser_writes(simple), pieces)
        return finish(self.markdown(text), pieces)

    def markdown(self, text: str, *, sanitise: bool = False) -> str:
        """The full path: Markdown, then the sanitiser (nh3), which Markdown
        made only of what markdown-it writes safely itself skips (see
        :func:`written_safely`); ``sanitise=True`` always takes it."""
        mark = None if self.raw_html else ampersand_mark(text)
        tokens = self.md.parse(text if mark is None else text.replace("&", mark))
        rendered = self.md.renderer.render(tokens, self.md.options, {})
        if mark is not None:
            rendered = ampersands_back(rendered, mark)
        if not sanitise and written_safely(tokens):
            return as_nh3_writes(rendered).rstrip("\n")
        return self.cleaner.clean(rendered).rstrip("\n")

    def report_long(self, size: int) -> None:
        if self.where in self.reported:
            return
        self.reported.add(self.where)
        logger.warning(
            "%s is %d characters long, over the %d that comment Markdown is "
            "rendered for: shown as plain paragraphs",
            self.where,
            size,
            self.limit,
        )


def escaped_paragraphs(text: str) -> str:
    """Text as escaped paragraphs (blank lines part them), no Markdown."""
    blocks = BLANK_LINES_RE.split(text.strip())
    return "\n".join(
        f"<p>{html.escape(block.strip(), quote=False)}</p>"
        for block in blocks
        if block.strip()
    )


def ampersand_mark(text: str) -> str:
    """A private-use character that ``text`` does not contain, nor its
    percent-encoded form (usually AMPERSAND_MARK), so that a reader's own
    such character stays as typed."""
    code = ord(AMPERSAND_MARK)
    upper = text.upper()
    while chr(code) in text or quote(chr(code)) in upper:
        code += 1
    return chr(code)


def ampersands_back(rendered: str, mark: str) -> str:
    """``rendered`` with each ``mark`` an escaped ``&`` again: in text, and in
    a link's address, where markdown-it percent-encoded it."""
    return rendered.replace(mark, "&amp;").replace(quote(mark), "&amp;")


# The shortcut past Markdown: paragraphs of prose with math, `code` spans and
# **strong** only, the shape of most comments (plain Chinese prose above all).
# Math spans stand in the text as placeholders (see protect), code spans as
# CODE_MARK; anything else that Markdown could read (escapes, links, HTML,
# entities, emphasis with one star or with underscores, block starts, edge
# whitespace, control characters) sends the comment to Markdown. "<" and "&"
# do in both flavours, so the shortcut's HTML is also what the Isso flavour
# writes.
CODE_MARK = "\ue002"
INLINE_REJECT_RE = re.compile(r"[\t\r\x00-\x09\x0b-\x1f\x7f\ue000-\ue0ff]")
INLINE_LINE_START_RE = re.compile(r"^(?:[-+=>0-9#~]|\*(?!\*[^\s*]))", re.MULTILINE)
INLINE_MARKUP_RE = re.compile(r"[\\\[\]<>&_~]")
BLANK_LINES_RE = re.compile(r"\n{2,}")


def inline_paragraphs(text: str) -> str | None:
    """The HTML Markdown writes for ``text`` (math already replaced by
    placeholders), when it is paragraphs of prose, math, `code` and **strong**
    only; else None.

    Safe without the sanitiser: its only elements are ``p``, ``strong`` and
    ``code``, without attributes, around text in which every ``<``, ``>`` and
    ``&`` the reader typed is escaped (outside code they send the comment to
    Markdown instead).
    """
    if INLINE_REJECT_RE.search(text) or INLINE_LINE_START_RE.search(text):
        return None
    if any(line != line.strip() for line in text.split("\n")):
        return None
    paragraphs = []
    for block in BLANK_LINES_RE.split(text.strip("\n")):
        if block:
            inner = inline_markup(block)
            if inner is None:
                return None
            paragraphs.append(f"<p>{inner}</p>")
    return "\n".join(paragraphs)


def inline_markup(block: str) -> str | None:
    """One paragraph's inner HTML (see :func:`inline_paragraphs`), or None."""
    codes: list[str] = []
    if "`" in block:
        pieces = block.split("`")
        if "``" in block or len(pieces) % 2 == 0:
            return None
        for piece in pieces[1::2]:
            # CommonMark drops one space from each end, when both ends have one
            code = piece[1:-1] if piece[:1] == piece[-1:] == " " else piece
            if not code.strip() or "<" in piece or PLACEHOLDER_RE.search(piece):
                return None
            if "\n" in piece or "&" in piece:
                return None
            codes.append(f"<code>{html.escape(code)}</code>")
        block = CODE_MARK.join(pieces[0::2])
    if INLINE_MARKUP_RE.search(block):
        return None
    if "*" in block:
        # A code span next to a ** stands there as CODE_MARK, which is not a
        # word character to flanked(): its backtick is punctuation to the
        # delimiter rule, so such a comment goes to Markdown.
        parts = block.split("**")
        if len(parts) % 2 == 0 or any("*" in part for part in parts):
            return None
        if not all(parts[2:-1:2]):  # "**a****b**": two strongs side by side
            return None
        for number, strong in enumerate(parts[1::2]):
            if not strong or not flanked(
                strong, parts[2 * number], parts[2 * number + 2]
            ):
                return None
        block = "".join(
            f"<strong>{part}</strong>" if number % 2 else part
            for number, part in enumerate(parts)
        )
    return fill_marks(block, CODE_MARK, codes) if codes else block


def flanked(strong: str, before: str, after: str) -> bool:
    """True when ``**strong**`` is emphasis for CommonMark whatever surrounds
    it: word characters on both edges inside, and no punctuation just outside
    (a space, a letter or nothing)."""
    if not (is_word(strong[0]) and is_word(strong[-1])):
        return False
    outer = (before[-1:], after[:1])
    return all(char == "" or char.isspace() or char.isalnum() for char in outer)


def is_word(char: str) -> bool:
    """Neither space nor punctuation to CommonMark's delimiter rules (which,
    as markdown-it reads them, count Unicode symbols as punctuation: "？",
    "＄" and "😀" are; "林" and "é" are not)."""
    return unicodedata.category(char)[0] not in "PSZC"


def as_sanitiser_writes(html_text: str) -> str:
    """The shortcut's HTML spelt the way nh3 writes text: quotes as characters,
    no-break spaces as ``&nbsp;`` (so a body is the same whichever way it went).
    Every ``&`` a reader typed is already ``&amp;`` here, so the replacements
    match only what ``html.escape`` wrote."""
    html_text = html_text.replace("&quot;", '"').replace("&#x27;", "'")
    return html_text.replace("\xa0", "&nbsp;")


# What markdown-it writes safely by itself: these tokens only, text escaped,
# a link only to an http(s) address of plain characters (normalised by
# markdown-it: percent-encoded; a port of five digits may be one nh3 finds
# invalid), no ``start`` on a list, no language on code.
# Anything else (raw HTML, images, headings, titles...) goes through nh3.
SAFE_BLOCK_TOKENS = frozenset(
    {
        "paragraph_open",
        "paragraph_close",
        "bullet_list_open",
        "bullet_list_close",
        "ordered_list_open",
        "ordered_list_close",
        "list_item_open",
        "list_item_close",
        "blockquote_open",
        "blockquote_close",
        "hr",
        "code_block",
        "fence",
        "inline",
    }
)
SAFE_INLINE_TOKENS = frozenset(
    {
        "text",
        "softbreak",
        "hardbreak",
        "strong_open",
        "strong_close",
        "em_open",
        "em_close",
        "s_open",
        "s_close",
        "code_inline",
        "link_open",
        "link_close",
    }
)
SAFE_HREF_RE = re.compile(
    r"https?://[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]{1,4})?(?:[/?#][!-~]*)?"
)
LINK_OPEN_RE = re.compile(r'<a href="([^"]*)">')


def written_safely(tokens: list) -> bool:
    """True when markdown-it's HTML of ``tokens`` holds nothing the sanitiser
    would change but its spelling (:func:`as_nh3_writes`)."""
    for token in tokens:
        if token.type not in SAFE_BLOCK_TOKENS or token.attrs or token.info.strip():
            return False
        for child in token.children or ():
            if child.type not in SAFE_INLINE_TOKENS:
                return False
            if child.type == "link_open":
                href = child.attrs.get("href")
                if len(child.attrs) != 1 or not SAFE_HREF_RE.fullmatch(str(href)):
                    return False
    return True


def as_nh3_writes(html_text: str) -> str:
    """markdown-it's HTML of safe tokens (:func:`written_safely`) spelt as
    nh3 writes it: void elements without a slash, links with ``rel``."""
    html_text = html_text.replace("<br />", "<br>").replace("<hr />", "<hr>")
    html_text = LINK_OPEN_RE.sub(rf'<a href="\1" rel="{LINK_REL}">', html_text)
    return as_sanitiser_writes(html_text)


def fill_marks(text: str, mark: str, values: list[str]) -> str:
    """``text`` with its n-th ``mark`` replaced by ``values[n]``."""
    pieces = text.split(mark)
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out += (value, piece)
    return "".join(out)


def clean_line(text: str) -> str:
    """Untrusted one-line text (an author's name), escaped, with no TeX
    command in it (:func:`~.tex_safety.inert_text`)."""
    text = UNSAFE_CHARACTERS.sub("", SPACE_RE.sub(" ", text)).strip()
    return html.escape(inert_text(text))


def safe_website(url: str) -> str:
    """An escaped absolute http(s) URL, or "" for anything else."""
    url = url.strip()
    if not url or UNSAFE_URL_CHAR_RE.search(url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return ""
    return html.escape(url, quote=True)


def safe_anchor(name: str) -> str:
    """A fragment-safe identifier made of word characters, dots and dashes."""
    return ANCHOR_UNSAFE_RE.sub("-", name.strip()).strip("-.")


def avatar_hash(email: str) -> str:
    """The Gravatar-style MD5 hash of an email (the email itself is never kept)."""
    email = email.strip().lower()
    if not email:
        return ""
    return hashlib.md5(email.encode("utf-8"), usedforsecurity=False).hexdigest()
