"""One comment, and the text functions that make its parts safe for templates.

Every comment field is untrusted. :class:`Comment` holds only values that are
already safe to print as they are: ``author`` and ``excerpt`` are HTML-escaped
plain text, ``website`` is an escaped http(s) URL or empty, ``avatar`` is
empty, an MD5 hash or (in a built site) the escaped ``COMMENTS_AVATAR_URL``
with that hash, ``body`` is HTML sanitised by nh3 (or, for the plain prose most
comments are, built from escaped text by :func:`inline_paragraphs`), ``anchor``
contains only word characters, dots and dashes.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import markdown
from markdown.util import code_escape

from pelican_sujianlin.math_markdown import MathExtension, find_markdown_math

if TYPE_CHECKING:
    import nh3

ALLOWED_TAGS = {
    "a",
    "p",
    "br",
    "em",
    "strong",
    "del",
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

TAG_RE = re.compile(r"<[^>]*>")
SPACE_RE = re.compile(r"\s+")
MATH_RE = re.compile(
    r"\$\$(.+?)\$\$|\$([^$]+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]|\\(?:begin|end)\{[^}]*\}",
    re.DOTALL,
)
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
    excerpt: str = ""
    body: str = ""
    website: str = ""
    avatar: str = ""
    source: str = "file"
    slug: str = ""
    replyto: str = ""
    article: Any = None
    # A list once the comment has replies; one shared empty tuple until then.
    replies: list[Comment] | tuple[()] = ()

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
        # datetime's own strftime: Pelican's SafeDatetime.strftime formats each
        # directive separately (five times slower) and gives the same text here.
        return datetime.strftime(self.date, "%Y-%m-%d %H:%M")

    @property
    def iso_date(self) -> str:
        return self.date.isoformat()

    @property
    def timestamp(self) -> float:
        return self.date.timestamp()


def make_markdown(*, raw_html: bool, math: bool) -> markdown.Markdown:
    """A Markdown instance to reuse for many comments (``reset()`` between them).

    ``raw_html=False`` renders the way Isso does: HTML and entities typed in a
    comment are shown as text, not interpreted.
    """
    extensions: list[Any] = ["fenced_code", "sane_lists"]
    if math:
        extensions.insert(0, MathExtension())
    md = markdown.Markdown(extensions=extensions)
    if not raw_html:
        md.preprocessors.deregister("html_block")
        for name in ("html", "entity", "automail"):
            md.inlinePatterns.deregister(name)
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


# Python-Markdown keeps "&lt;" as an entity; Isso shows it as typed. Hiding
# every "&" behind a private-use character keeps Markdown from seeing entities.
AMPERSAND_MARK = "\ue000"


class BodyRenderer:
    """Markdown to sanitised HTML with one Markdown instance and one cleaner."""

    def __init__(self, *, raw_html: bool = True, math: bool = True) -> None:
        self.raw_html = raw_html
        self.math = math
        self.md = make_markdown(raw_html=raw_html, math=math)

    @functools.cached_property
    def cleaner(self) -> nh3.Cleaner:
        return make_cleaner()

    def __call__(self, text: str) -> str:
        simple = inline_paragraphs(text, math=self.math)
        if simple is not None:
            return as_sanitiser_writes(simple)
        return self.markdown(text)

    def markdown(self, text: str) -> str:
        """The full path: Markdown, then the sanitiser."""
        self.md.reset()
        if self.raw_html:
            return self.cleaner.clean(self.md.convert(text))
        mark = ampersand_mark(text)
        rendered = self.md.convert(text.replace("&", mark))
        return self.cleaner.clean(rendered.replace(mark, "&amp;"))


def ampersand_mark(text: str) -> str:
    """A private-use character that ``text`` does not contain (usually
    AMPERSAND_MARK), so that a reader's own such character stays as typed."""
    code = ord(AMPERSAND_MARK)
    while chr(code) in text:
        code += 1
    return chr(code)


# The shortcut past Markdown: paragraphs of prose with math, `code` spans and
# **strong** only, the shape of most comments (plain Chinese prose above all).
# Math spans are found exactly as MathExtension finds them and stand in the
# skeleton as MATH_MARK, code spans as CODE_MARK; anything else that Markdown
# could read (escapes, links, HTML, entities, emphasis with one star or with
# underscores, block starts, edge whitespace, control characters) sends the
# comment to Markdown. Without math (the Isso flavour) "$" is plain text and
# any backslash sends the comment to Markdown; "<" and "&" do in both flavours,
# so the shortcut's HTML is also what the Isso flavour writes.
MATH_MARK = "\ue001"
CODE_MARK = "\ue002"
INLINE_REJECT_RE = re.compile(r"[\t\r\x00-\x09\x0b-\x1f\x7f\ue000-\ue0ff]")
INLINE_LINE_START_RE = re.compile(r"^(?:[-+=>0-9#~]|\*(?!\*[^\s*]))", re.MULTILINE)
INLINE_MARKUP_RE = re.compile(r"[\\\[\]<>&_]")
BLANK_LINES_RE = re.compile(r"\n{2,}")


def inline_paragraphs(text: str, *, math: bool = True) -> str | None:
    """The HTML Markdown writes for ``text`` (with MathExtension when ``math``),
    when it is paragraphs of prose, math, `code` and **strong** only; else None.

    Safe without the sanitiser: its only elements are ``p``, ``strong`` and
    ``code``, without attributes, around text in which every ``<``, ``>`` and
    ``&`` the reader typed is escaped (outside math and code they send the
    comment to Markdown instead).
    """
    if INLINE_REJECT_RE.search(text) or INLINE_LINE_START_RE.search(text):
        return None
    if any(line != line.strip() for line in text.split("\n")):
        return None
    raws: list[str] = []
    skeleton = text
    if math and ("$" in text or "\\" in text):
        parts: list[str] = []
        last = 0
        for start, end, raw in find_markdown_math(text):
            parts += (text[last:start], MATH_MARK)
            raws.append(raw)
            last = end
        skeleton = "".join(parts) + text[last:]
    paragraphs = []
    for block in BLANK_LINES_RE.split(skeleton.strip("\n")):
        if block:
            inner = inline_markup(block)
            if inner is None:
                return None
            paragraphs.append(f"<p>{inner}</p>")
    html_text = "\n".join(paragraphs)
    return fill_marks(html_text, MATH_MARK, raws) if raws else html_text


def inline_markup(block: str) -> str | None:
    """One paragraph's inner HTML (see :func:`inline_paragraphs`), or None."""
    codes: list[str] = []
    if "`" in block:
        pieces = block.split("`")
        if "``" in block or len(pieces) % 2 == 0:
            return None
        for piece in pieces[1::2]:
            code = piece.strip()
            if not code or "<" in piece or MATH_MARK in piece:
                return None
            codes.append(f"<code>{code_escape(code)}</code>")
        block = CODE_MARK.join(pieces[0::2])
    if INLINE_MARKUP_RE.search(block):
        return None
    if "*" in block:
        parts = block.split("**")
        if len(parts) % 2 == 0 or any("*" in part for part in parts):
            return None
        for strong in parts[1::2]:
            if not strong or strong[0].isspace() or strong[-1].isspace():
                return None
        block = "".join(
            f"<strong>{part}</strong>" if number % 2 else part
            for number, part in enumerate(parts)
        )
    return fill_marks(block, CODE_MARK, codes) if codes else block


def as_sanitiser_writes(html_text: str) -> str:
    """The shortcut's HTML spelt the way nh3 writes text: quotes as characters,
    no-break spaces as ``&nbsp;`` (so a body is the same whichever way it went).
    Every ``&`` a reader typed is already ``&amp;`` here, so the replacements
    match only what ``html.escape`` wrote."""
    html_text = html_text.replace("&quot;", '"').replace("&#x27;", "'")
    return html_text.replace("\xa0", "&nbsp;")


def fill_marks(text: str, mark: str, values: list[str]) -> str:
    """``text`` with its n-th ``mark`` replaced by ``values[n]``."""
    pieces = text.split(mark)
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out += (value, piece)
    return "".join(out)


def plain_text(html_text: str) -> str:
    """The visible text of sanitised HTML: tags dropped, math delimiters dropped,
    entities decoded, whitespace collapsed. The result is NOT escaped."""
    text = html.unescape(TAG_RE.sub("", html_text))
    text = MATH_RE.sub(lambda m: next((g for g in m.groups() if g), ""), text)
    return SPACE_RE.sub(" ", text).strip()


def excerpt(html_text: str, length: int) -> str:
    """An escaped plain-text excerpt of at most ``length`` characters, then …"""
    text = plain_text(html_text)
    if len(text) > length:
        text = text[:length].rstrip() + "…"
    return html.escape(text)


def clean_line(text: str) -> str:
    """Untrusted one-line text (an author's name), escaped."""
    return html.escape(SPACE_RE.sub(" ", text).strip())


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
