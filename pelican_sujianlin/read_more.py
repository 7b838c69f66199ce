"""The ``read_more`` plugin: summaries cut at ``<!--more-->``, ending in a link.

The author writes ``<!--more-->`` (any spacing and case; ``READ_MORE_MARKER``
changes it) anywhere in an article or page, in Markdown, HTML or reST (where a
comment ``.. more`` reaches the HTML as ``<!-- more -->``). The summary is
everything before the marker, repaired into balanced HTML, and ends with
``<a class="read-more" href="ARTICLE_URL#more">点击阅读全文...</a>``. The
article shows ``<span id="more"></span>`` where the marker stood. Text that is
mostly CJK and has no marker is cut by characters instead of Pelican's words.
An author's ``Summary:`` wins over the marker. ``content.has_more`` tells
templates whether the article goes on past its summary.

A theme that prints its own link after ``article.summary`` (notmyidea, Flex)
gets no second one: its templates are scanned once per build
(:func:`theme_read_more_template`). ``READ_MORE_LINK`` also takes
pelican-read-more's meaning (a string is the link's text), and
``READ_MORE_LINK_FORMAT`` is that plugin's link template.

How it fits into Pelican: the work happens at ``article_generator_finalized``
and ``page_generator_finalized``, after the content cache was saved (so cached
objects stay pristine) and after other plugins (equations) finished their
``_content``. A content object that gets a plugin summary receives its own
``get_summary(siteurl)`` (see :class:`ReadMoreSummary`), which resolves
intra-site links and the read-more link for each ``siteurl`` a writer asks for:
relative URLs on pages at any depth, absolute URLs in feeds. Content the plugin
has nothing to do for is left exactly as Pelican made it.

Signals: ``article_generator_finalized``, ``page_generator_finalized`` (the
cut), ``all_generators_finalized`` (plan again what another plugin rewrote
after the cut), ``generator_init`` (makes the bundle's partials includable).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from pelican import signals

from pelican_sujianlin.contents import (
    ARTICLE_LISTS,
    PAGE_LISTS,
    contents_of,
    forget_memoized,
    join_url,
)
from pelican_sujianlin.language import pick
from pelican_sujianlin.settings import Check, with_defaults
from pelican_sujianlin.theme import add_template_loader

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # The marker; HTML comment markers match with any spacing and case.
    "READ_MORE_MARKER": "<!--more-->",
    # The link's text (HTML); None means by DEFAULT_LANG.
    "READ_MORE_TEXT": None,
    # None: a link unless the theme prints its own after the summary; True,
    # False; or a string, pelican-read-more's meaning: the link's text (HTML).
    "READ_MORE_LINK": None,
    # pelican-read-more's template of the link, with {url} and {text}.
    "READ_MORE_LINK_FORMAT": '<a class="read-more" href="{url}">{text}</a>',
    # Characters kept of a CJK text without a marker; None: Pelican's summary.
    "READ_MORE_CJK_LENGTH": 150,
}
CHECKS: dict[str, Check] = {
    "READ_MORE_MARKER": Check(
        types=str,
        test=lambda marker: bool(marker_words(marker)[0]),
        means="text with a word (or an HTML comment with one)",
    ),
    "READ_MORE_TEXT": Check(types=str, none=True, default_text="None (by language)"),
    # A string is pelican-read-more's form (its link's text).
    "READ_MORE_LINK": Check(
        types=(bool, str),
        none=True,
        default_text=("None (a link unless the theme prints its own)"),
    ),
    "READ_MORE_LINK_FORMAT": Check(
        types=str, test=lambda text: "{url}" in text, means="text with {url}"
    ),
    # 0 and None: no cut by characters.
    "READ_MORE_CJK_LENGTH": Check(types=int, none=True, minimum=0),
}
TEXT_ZH = "点击阅读全文..."
TEXT_EN = "Read more…"

ANCHOR = '<span id="more"></span>'
# Stands for the article's URL in a cut summary until a siteurl is known.
URL_PLACEHOLDER = "\x00read-more-url\x00"
# Stand for the article's address in Options.link_parts (see read_more_link).
URL_STAND_IN = "\x00url\x00"
PATH_STAND_IN = "\x00path\x00"
STAND_IN = re.compile(f"({URL_STAND_IN}|{PATH_STAND_IN})")
# The context key of what each content object's summary was planned from.
PLANS = "_read_more_plans"


@dataclass(frozen=True)
class Options:
    """The plugin's settings, read once per build from Pelican's settings."""

    marker: re.Pattern[str]
    text: str
    link: bool
    link_format: str
    theme_link: str | None  # the theme template printing its own link, if any
    cjk_length: int | None
    ellipsis: str
    relative_urls: bool
    summary_max_length: int | None
    summary_max_paragraphs: int | None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Options:
        value = with_defaults(settings, DEFAULTS, CHECKS)
        cjk_length = value["READ_MORE_CJK_LENGTH"]
        text = value["READ_MORE_TEXT"]
        link, link_text = link_setting(value["READ_MORE_LINK"])
        if link_text is not None and text is not None:
            logger.warning(
                "READ_MORE_LINK %r and READ_MORE_TEXT %r both give the read-more "
                "link's text; using READ_MORE_TEXT",
                link_text,
                text,
            )
        elif link_text is not None:
            text = link_text
        theme_link = None
        if link is None:
            theme_link = theme_read_more_template(theme_template_folders(settings))
            link = theme_link is None
        return cls(
            marker=marker_pattern(value["READ_MORE_MARKER"]),
            text=pick(settings, TEXT_ZH, TEXT_EN) if text is None else str(text),
            link=link,
            link_format=value["READ_MORE_LINK_FORMAT"],
            theme_link=theme_link,
            cjk_length=cjk_length if cjk_length and cjk_length > 0 else None,
            ellipsis=settings.get("SUMMARY_END_SUFFIX") or "…",
            relative_urls=bool(settings.get("RELATIVE_URLS")),
            summary_max_length=settings.get("SUMMARY_MAX_LENGTH"),
            summary_max_paragraphs=settings.get("SUMMARY_MAX_PARAGRAPHS"),
        )

    @cached_property
    def link_parts(self) -> list[str] | None:
        """:func:`link_parts` of this build's format and text, made once."""
        return link_parts(self.link_format, self.text)


def link_setting(value: bool | str | None) -> tuple[bool | None, str | None]:
    """READ_MORE_LINK (checked) as (link or not, None meaning "ask the theme";
    the text).

    pelican-read-more documents READ_MORE_LINK as the link's text (HTML, such
    as ``<span>continue</span>``) and adds no link when it is empty; this
    bundle had it as True/False. Both meanings are kept.
    """
    if isinstance(value, str):
        return (True, value) if value.strip() else (False, None)
    return value, None


# --- the theme's own read-more link ---------------------------------------------------

# ``{{ article.summary }}`` printed (also in an expression: ``{{ article.content
# if FULL else article.summary }}``); one inside a tag, such as <meta
# content="...">, is skipped by the scan
THEME_SUMMARY = re.compile(r"\{\{[^}]*?\b(\w+)\.summary\b[^}]*\}\}")
# Where a list item's template ends: the theme's link must come before that.
ITEM_END = re.compile(
    r"\{%-?\s*(?:end(?:for|block)|for|else|elif)\b|\{\{[^}]*?\.summary\b"
)
THEME_LINK_WINDOW = 600  # characters of template after the summary
COMMENTS_LINK = re.compile(
    r"#[^\"']*(?:comment|disqus)", re.I
)  # a count, not a link on


def theme_prints_link(source: str) -> bool:
    """Whether a template prints a link to the article right after its
    summary (``{{ article.summary }} ... <a href="{{ SITEURL }}/{{ article.url
    }}">read more</a>``), as notmyidea, Flex, Reflex and pelican-bootstrap3 do."""
    for summary in THEME_SUMMARY.finditer(source):
        before = source[: summary.start()]
        if before.rfind("<") > before.rfind(">"):
            continue  # inside a tag: <meta content="{{ article.summary }}">
        window = source[summary.end() : summary.end() + THEME_LINK_WINDOW]
        end = ITEM_END.search(window)
        window = window[: end.start()] if end else window
        name = re.escape(summary.group(1))
        link = (
            rf"<a\b[^>]*?\bhref\s*=\s*[\"'][^\"'>]*?\{{\{{-?\s*{name}\.url\b"
            r"(?P<rest>[^\"'>]*)"
        )
        for found in re.finditer(link, window):
            if not COMMENTS_LINK.search(found.group("rest")):
                return True
    return False


def theme_template_folders(settings: Mapping[str, Any]) -> list[Path]:
    """The folders Pelican loads the theme's templates from, first wins."""
    folders = [Path(folder) for folder in settings.get("THEME_TEMPLATES_OVERRIDES", [])]
    theme = settings.get("THEME")
    if theme:
        folders.append(Path(theme).expanduser() / "templates")
    return folders


def theme_read_more_template(folders: Iterable[Path]) -> str | None:
    """The first theme template (relative path) that prints its own read-more
    link after ``article.summary``, or None. Read once per build: a few
    small files."""
    seen: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.html")):
            name = path.relative_to(folder).as_posix()
            if name in seen:
                continue  # overridden by an earlier folder
            seen.add(name)
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if theme_prints_link(source):
                return name
    return None


# --- finding the marker ---------------------------------------------------------------


def marker_words(marker: str) -> tuple[list[str], bool]:
    """The words of ``marker`` and whether it is an HTML comment."""
    comment = re.fullmatch(r"<!--(.*?)-->", marker.strip(), re.S)
    return (comment.group(1) if comment else marker).split(), comment is not None


def marker_pattern(marker: str) -> re.Pattern[str]:
    """A case-insensitive pattern for ``marker`` that allows any spacing.

    ``<!--more-->`` also matches ``<!-- more -->`` and ``<!--  MORE-->``.
    """
    words, is_comment = marker_words(marker)
    body = r"\s+".join(map(re.escape, words))
    return re.compile(rf"<!--\s*{body}\s*-->" if is_comment else body, re.I)


# Stretches of HTML where a marker is text, not a marker: comments (in HTML a
# comment ends at the first "-->"), code and raw-text elements, and tags (a
# marker inside an attribute value).
SKIPPED = (
    r"<!--.*?-->"
    r"|<(?P<raw>pre|code|script|style|textarea|kbd|samp)\b.*?</(?P=raw)\s*>"
    r"|<[a-zA-Z][^\s/>]*(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
)


def find_markers(html: str, marker: re.Pattern[str]) -> list[tuple[int, int]]:
    """The (start, end) of every real marker in ``html``, in order.

    A scan with one regular expression, not a parse: markers inside code,
    ``<pre>``, other comments or attribute values are skipped. The scan stops
    at the last place the marker's text occurs.
    """
    ends = [match.end() for match in marker.finditer(html)]
    if not ends:
        return []
    scanner = re.compile(f"(?P<marker>{marker.pattern})|{SKIPPED}", re.S | re.I)
    found = []
    for match in scanner.finditer(html):
        if match.group("marker"):
            found.append(match.span())
        if match.end() >= ends[-1]:
            break
    return found


# --- repairing a cut ------------------------------------------------------------------


def names(text: str) -> frozenset[str]:
    return frozenset(text.split())


VOID = names("area base br col embed hr img input link meta param source track wbr")
# Elements that show something even when they hold no text.
VISIBLE_EMPTY = names(
    "img hr input embed area video audio iframe svg math canvas object picture"
)
# Start tags that end an open <p> (HTML's "close a p element").
CLOSES_P = names(
    "address article aside blockquote details dialog div dl fieldset figcaption"
    " figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre"
    " section table ul"
)
# Start tag -> (open elements it ends implicitly, elements that stop the search).
IMPLIED_END: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "menu"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "tr": (frozenset({"tr", "td", "th"}), frozenset({"table"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "option": (frozenset({"option"}), frozenset({"select", "datalist"})),
}
for _section in ("thead", "tbody", "tfoot"):
    IMPLIED_END[_section] = (
        frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
        frozenset({"table"}),
    )


# Raw-text elements: their content is text up to their own end tag.
RAW_TEXT_END = {
    name: re.compile(rf"</{name}\s*>", re.I)
    for name in ("script", "style", "textarea", "title")
}
# Start tags that need more than being pushed on the stack of open elements.
SPECIAL_START = VOID | CLOSES_P | frozenset(IMPLIED_END) | frozenset(RAW_TEXT_END)
# One piece of markup: a start or end tag (attribute values may hold ">"), a
# comment (perhaps cut short), a declaration or processing instruction.
MARKUP = re.compile(
    r"<(/?)([a-zA-Z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
    r"|<!--.*?(?:-->|\Z)|<[!?][^>]*>",
    re.S,
)


def open_elements(html: str) -> list[tuple[str, int]]:
    """The elements left open at the end of ``html``: (name, start tag offset).

    A regular-expression scan, tag by tag, not an HTML parser: it needs only
    tag names and offsets, and is several times faster than ``html.parser``.
    End tags HTML lets authors leave out (``</p>``, ``</li>``, ``</td>``...)
    are implied the way browsers imply them, for the common cases.
    """
    stack: list[tuple[str, int]] = []
    resume = 0
    for match in MARKUP.finditer(html):
        is_end, name, attributes = match.groups()
        if name is None or match.start() < resume:
            continue
        name = name.lower()
        if is_end:
            if stack and stack[-1][0] == name:
                stack.pop()
            else:
                _end_tag(stack, name)
        elif name in SPECIAL_START or attributes.endswith("/"):
            _start_tag(stack, name, match.start(), attributes.endswith("/"))
            if name in RAW_TEXT_END:
                end = RAW_TEXT_END[name].search(html, match.end())
                if end is None:
                    break
                _end_tag(stack, name)
                resume = end.end()
        else:
            stack.append((name, match.start()))
    return stack


def _start_tag(
    stack: list[tuple[str, int]], name: str, offset: int, self_closing: bool
) -> None:
    if name in CLOSES_P and stack and stack[-1][0] == "p":
        stack.pop()
    if name in IMPLIED_END:
        ends, stops = IMPLIED_END[name]
        for index in range(len(stack) - 1, -1, -1):
            if stack[index][0] in ends:
                del stack[index:]
                break
            if stack[index][0] in stops:
                break
    if name not in VOID and not self_closing:
        stack.append((name, offset))


def _end_tag(stack: list[tuple[str, int]], name: str) -> None:
    for index in range(len(stack) - 1, -1, -1):
        if stack[index][0] == name:
            del stack[index:]
            return


def balance(html: str) -> tuple[int, str]:
    """How to close ``html`` cut short: (where to end it, end tags to add).

    Elements the cut left open and empty (``<ul><li>`` right before the cut)
    are dropped rather than closed: ``html`` ends before their start tags.
    """
    stack = open_elements(html)
    # An open element is empty when nothing visible follows its start tag;
    # the empty ones are the innermost.
    kept = len(stack)
    while kept and not has_visible_content(html[stack[kept - 1][1] :]):
        kept -= 1
    end = stack[kept][1] if kept < len(stack) else len(html)
    return end, "".join(f"</{name}>" for name, _ in reversed(stack[:kept]))


def close_open_elements(html: str) -> str:
    """``html`` cut short, made balanced: open elements closed, empty ones
    dropped, surrounding whitespace gone."""
    end, closing = balance(html)
    return html[:end].strip() + closing


COMMENT = re.compile(r"<!--.*?-->", re.S)
VISIBLE_TEXT = re.compile(r"(?:\A|>)[^<]*?[^<\s]")
VISIBLE_MEDIA = re.compile(r"<(?:{})\b".format("|".join(sorted(VISIBLE_EMPTY))), re.I)


def has_visible_content(html: str) -> bool:
    """True when ``html`` shows any text or embedded media."""
    if "<!--" in html:
        html = COMMENT.sub("", html)
    return bool(VISIBLE_TEXT.search(html) or VISIBLE_MEDIA.search(html))


# --- links in a summary ---------------------------------------------------------------

ID_ATTRIBUTE = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
FRAGMENT_HREF = re.compile(r"""(\shref\s*=\s*)(["'])#([^"']*)\2""", re.I)


def element_ids(html: str) -> set[str]:
    """Every ``id`` attribute value in ``html``."""
    return {a or b or c for a, b, c in ID_ATTRIBUTE.findall(html)}


def link_fragments_to(html: str, url: str) -> str:
    """Point fragment-only links whose target is not in ``html`` at ``url#id``.

    Equation references below the fold and footnote references then lead into
    the full article; links to ids kept in ``html`` stay as they are.
    """
    return insert_at(html, outward_links(html), url)


def outward_links(html: str) -> list[int]:
    """Where each fragment-only link of ``html`` whose target is not in
    ``html`` has its ``#`` (where :func:`link_fragments_to` puts the URL)."""
    ids = element_ids(html)
    return [
        link.start(3) - 1 for link in FRAGMENT_HREF.finditer(html) if link[3] not in ids
    ]


def insert_at(
    text: str,
    positions: Iterable[int],
    insert: str,
    start: int = 0,
    stop: int | None = None,
) -> str:
    """``text[start:stop]`` with ``insert`` put at each of ``positions``
    (ascending, between ``start`` and ``stop``)."""
    pieces = []
    for position in positions:
        pieces += (text[start:position], insert)
        start = position
    pieces.append(text[start:stop])
    return "".join(pieces)


# --- the marker split -----------------------------------------------------------------


class Cut(NamedTuple):
    """Where a summary was cut from its article, without copies of the text:
    the summary is ``article[:keep].strip() + closing``, the marker's anchor
    is at ``article[start]``."""

    article: str
    keep: int
    start: int
    closing: str
    anchors_before: int  # ANCHORs in the article before the marker's own

    def summary(self) -> str:
        return self.article[: self.keep].strip() + self.closing

    def dropped(self) -> str:
        return self.article[self.keep : self.start]


@dataclass(frozen=True)
class Split:
    """An article split at its marker."""

    summary: str  # balanced HTML before the marker
    article: str  # the article with the marker made ``<span id="more">``
    has_more: bool  # something shows after the marker
    cut: Cut  # where ``summary`` lies in ``article``


def split_at_marker(html: str, marker: re.Pattern[str]) -> Split | None:
    """Split ``html`` at the first real marker; None when there is none."""
    spans = find_markers(html, marker)
    if not spans:
        return None
    (start, end), rest = spans[0], spans[1:]
    pieces = [html[:start], ANCHOR]
    position = end
    for other_start, other_end in rest:  # later markers leave no trace
        pieces.append(html[position:other_start])
        position = other_end
    pieces.append(html[position:])
    before = html[:start]
    keep, closing = balance(before)
    article = "".join(pieces)  # starts with ``before``; the ANCHOR at ``start``
    cut = Cut(article, keep, start, closing, before.count(ANCHOR))
    return Split(cut.summary(), article, has_visible_content(html[end:]), cut)


# --- CJK text without a marker --------------------------------------------------------

CJK_CHARACTER = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
    "\U00020000-\U0002a6df\U0002f800-\U0002fa1f]"
)
ALPHABETIC_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]+")
TAG_OR_COMMENT = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
CJK_SAMPLE = 2000


def is_cjk_text(html: str) -> bool:
    """True when the text at the start of ``html`` is mostly CJK.

    Looks at the first 2,000 characters only: CJK characters against words of
    alphabetic scripts, so a Chinese post full of English terms and TeX is still
    CJK, and an English post quoting a Chinese word is not.
    """
    sample = html[:CJK_SAMPLE]
    if CJK_CHARACTER.search(sample) is None:
        return False
    text = TAG_OR_COMMENT.sub(" ", sample)
    return len(CJK_CHARACTER.findall(text)) >= len(ALPHABETIC_WORD.findall(text))


# Text is counted by characters; tags, comments, scripts and styles count nothing;
# TeX is never cut in half.
CUT_TOKEN = re.compile(
    r"(?P<skip><!--.*?-->|<(?P<raw>script|style)\b.*?</(?P=raw)\s*>|<[^>]*>)"
    r"|(?P<math>\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)"
    r"|\\begin\{(?P<env>[^}]*)\}.*?\\end\{(?P=env)\}|\$[^$<]+\$)"
    r"|(?P<text>[^<$\\]+|[$\\])",
    re.S,
)
# TeX counts as what it shows, roughly: \mathrm{softmax}(\boldsymbol{Q}) as softmax(Q).
TEX_MARKUP = re.compile(r"\\[A-Za-z]+|\\.|[\s{}^_$&]")
TEXT_UNIT = re.compile(r"&#?\w+;|[A-Za-z0-9_'-]+|\s+|.", re.S)
ENTITY_OR_SPACE = re.compile(r"&#?\w+;|\s+")


def _entity_as_one(match: re.Match[str]) -> str:
    return "" if match.group().isspace() else "&"


def character_cut(html: str, length: int) -> int | None:
    """The offset in ``html`` after ``length`` characters of text, or None.

    None when the text is not longer than that. Words of alphabetic scripts,
    entities and TeX spans are never split; TeX counts the characters it
    shows, roughly (its commands, braces and delimiters do not count).
    """
    count = 0
    for token in CUT_TOKEN.finditer(html):
        if token.group("skip"):
            continue
        if token.group("math"):
            weight = max(1, len(TEX_MARKUP.sub("", token.group())))
            if count and count + weight > length:
                return token.start()
            count += weight
            if count >= length:
                return token.end()
            continue
        text = token.group()
        weight = len(ENTITY_OR_SPACE.sub(_entity_as_one, text))
        if count + weight < length:  # the whole run fits: no need to walk it
            count += weight
            continue
        for unit in TEXT_UNIT.finditer(text):
            if not unit.group().isspace():
                count += 1 if unit.group().startswith("&") else len(unit.group())
            if count >= length:
                return token.start() + unit.end()
    return None


def cut_by_characters(html: str, length: int, ellipsis: str) -> str | None:
    """A balanced summary of the first ``length`` characters, or None if all fit."""
    cut = character_cut(html, length)
    if cut is None or not has_visible_content(html[cut:]):
        return None
    return close_open_elements(html[:cut].rstrip() + ellipsis)


# --- has_more for content left to Pelican ---------------------------------------------

PELICAN_WORD = re.compile(
    rf"<!--.*?-->|<[^>]*>|&#?\w+;|(?P<word>{CJK_CHARACTER.pattern}|\w[\w'-]*)", re.S
)


def pelican_truncates(
    html: str, max_words: int | None, max_paragraphs: int | None
) -> bool:
    """Whether ``html`` has more than Pelican's own summary keeps.

    Counts words the way Pelican's truncation does (a CJK character is a word),
    and stops counting as soon as the answer is known.
    """
    if max_paragraphs is not None and html.count("<p>") > max_paragraphs:
        return True
    if max_words is None:
        return False
    words = 0
    for match in PELICAN_WORD.finditer(html):
        if match.group("word"):
            words += 1
            if words > max_words:
                return True
    return False


# --- the Pelican glue -----------------------------------------------------------------


# ``{url}`` opening an attribute value, with pelican-read-more's leading "/"
LINK_FORMAT_URL = re.compile(r"""(["'])/?\{url\}""")


def read_more_link(link_format: str, url: str, path: str, text: str) -> str:
    """The link, from READ_MORE_LINK_FORMAT.

    ``{url}`` at the start of an attribute value (``href="{url}"``, or
    pelican-read-more's ``href="/{url}"``) is the article's URL as this page
    reaches it (``url``: relative, absolute in feeds); anywhere else it is
    ``article.url`` (``path``), as in pelican-read-more. ``{text}`` is the text.
    """
    html = LINK_FORMAT_URL.sub(lambda match: match.group(1) + url, link_format)
    return html.replace("{url}", path).replace("{text}", text)


def link_parts(link_format: str, text: str) -> list[str] | None:
    """The read-more link made with stand-ins for the article's address, in
    parts: the odd ones are :data:`URL_STAND_IN` or :data:`PATH_STAND_IN`.
    Each summary shown then joins the link (:func:`join_link`) rather than
    formatting ``link_format`` again. None when the format or the text holds
    a stand-in."""
    if any(mark in link_format + text for mark in (URL_STAND_IN, PATH_STAND_IN)):
        return None
    return STAND_IN.split(
        read_more_link(link_format, URL_STAND_IN, PATH_STAND_IN, text)
    )


def join_link(parts: list[str], url: str, path: str) -> str:
    """:func:`read_more_link` from the :func:`link_parts` of its format."""
    pieces = parts.copy()
    for at in range(1, len(pieces), 2):
        pieces[at] = url if pieces[at] == URL_STAND_IN else path
    return "".join(pieces)


class SummarySlice(NamedTuple):
    """A summary kept as a slice of the article's HTML that Pelican memoized
    for the same siteurl (and keeps for the whole build), with where the
    article's URL goes in links that lead below the fold, and the tags that
    close the slice: a kept summary costs a few bytes instead of a copy of
    its paragraphs (1.4 MB on the benchmark's site)."""

    html: str
    start: int
    stop: int
    links: tuple[int, ...]  # where the article's URL goes, in ``html``
    closing: str
    url: str = ""  # the article's, for this siteurl (once rendered)

    def text(self) -> str:
        body = insert_at(self.html, self.links, self.url, self.start, self.stop)
        return body + self.closing


class Provisional(str):
    """A summary made before the article's HTML it can be cut from: made
    again, as a :class:`SummarySlice`, once Pelican has that HTML."""

    __slots__ = ()


class ReadMoreSummary:
    """A content object's own ``get_summary(siteurl)``.

    Pelican link-replaces ``metadata["summary"]`` once, with SITEURL; index
    pages written with ``RELATIVE_URLS`` and feeds ask for other siteurls. This
    builds the summary for each siteurl a writer asks for: intra-site links
    resolved by the content's own ``_update_content``, the article's URL (in
    the read-more link and in fragment links leading below the fold) joined to
    that siteurl. Set as an instance attribute it shadows Pelican's memoized
    method.

    A summary cut at the marker (``split``) is taken, when Pelican has already
    made the article's HTML for that siteurl, from that HTML (up to the
    ``<span id="more">``): its links are resolved once, not twice, and it is
    kept as a :class:`SummarySlice` of that HTML rather than as a copy. Each
    summary is kept per siteurl (the first in a slot, any other in a dict
    made when one is asked).
    """

    __slots__ = (
        "_body",
        "_more_siteurls",
        "_siteurl",
        "_summary",
        "content",
        "fragment",
        "options",
        "split",
    )

    def __init__(
        self,
        content: Any,
        body: str | None,
        fragment: str,
        options: Options,
        split: Cut | None = None,
    ):
        self.content = content
        self._body = body
        self.fragment = fragment
        self.options = options
        self.split = split
        # The summary for the first siteurl asked (most sites have one), and
        # a dict for any other only when one is asked.
        self._siteurl: str | None = None
        self._summary: str | SummarySlice = ""
        self._more_siteurls: dict[str, str | SummarySlice] | None = None

    @property
    def body(self) -> str:
        """The summary's HTML before link resolution; a cut summary is made
        from the cut article again, once per siteurl, and not kept (its result
        is: see ``__call__``)."""
        if self._body is not None:
            return self._body
        return link_fragments_to(self.split.summary(), URL_PLACEHOLDER)

    @property
    def at_marker(self) -> bool:
        """Whether the article was cut at its marker."""
        return self.fragment == "#more"

    def __call__(self, siteurl: str | None) -> str:
        siteurl = siteurl or ""
        kept = self.kept(siteurl)
        if kept is None or (
            isinstance(kept, Provisional) and self.article_html(siteurl) is not None
        ):
            kept = self.render(siteurl)
            self.keep(siteurl, kept)
        if isinstance(kept, SummarySlice):
            return kept.text() + self.link(kept.url)
        return str(kept)

    def kept(self, siteurl: str) -> str | SummarySlice | None:
        if siteurl == self._siteurl:
            return self._summary
        return (self._more_siteurls or {}).get(siteurl)

    def keep(self, siteurl: str, summary: str | SummarySlice) -> None:
        if self._siteurl in (None, siteurl):
            self._siteurl, self._summary = siteurl, summary
        else:
            if self._more_siteurls is None:
                self._more_siteurls = {}
            self._more_siteurls[siteurl] = summary

    def render(self, siteurl: str) -> str | SummarySlice:
        """The summary for ``siteurl``, as it is kept: a slice of the
        article's HTML when Pelican has made it, else the text, and
        :class:`Provisional` when that HTML can come later (feeds are written
        before articles)."""
        memo = self.memo() if self.split else None
        full = memo.get((self.content, siteurl)) if memo is not None else None
        html = self.from_article(full, siteurl) if full is not None else None
        if isinstance(html, SummarySlice):
            return html._replace(url=self.url(siteurl))
        if html is None:
            html = self.content._update_content(self.body, siteurl)
        url = self.url(siteurl)
        summary = html.replace(URL_PLACEHOLDER, url) + self.link(url)
        waiting = memo is not None and full is None  # Pelican may make it later
        return Provisional(summary) if waiting else summary

    def url(self, siteurl: str) -> str:
        """The article's URL on a page whose siteurl is ``siteurl``."""
        return join_url(siteurl, self.content.url, self.options.relative_urls)

    def link(self, url: str) -> str:
        """The read-more link to the article at ``url``, if it has one."""
        if not (self.content.has_more and self.options.link):
            return ""
        url, path = url + self.fragment, self.content.url + self.fragment
        parts = self.options.link_parts
        if parts is None:
            return read_more_link(
                self.options.link_format, url, path, self.options.text
            )
        return join_link(parts, url, path)

    def memo(self) -> dict | None:
        """Pelican's memo of the article's HTML, by (content, siteurl); None
        when ``get_content`` is not Pelican's memoized method (build-time
        typesetting gives each content object its own): no HTML will come."""
        return getattr(self.content.get_content, "cache", None)

    def article_html(self, siteurl: str) -> str | None:
        """The article's HTML Pelican memoized for ``siteurl``, if it has."""
        memo = self.memo()
        return memo.get((self.content, siteurl)) if memo is not None else None

    def from_article(self, full: str, siteurl: str) -> str | SummarySlice | None:
        """The summary cut from ``full``, the article's HTML for ``siteurl``,
        kept as a slice of it; None when ``full`` is not the expected HTML."""
        position = -1
        for _ in range(self.split.anchors_before + 1):
            position = full.find(ANCHOR, position + 1)
            if position < 0:
                return None
        dropped = self.content._update_content(self.split.dropped(), siteurl)
        end = position - len(dropped)
        if full[end:position] != dropped:
            return None
        head = full[:end]
        start, stop = len(head) - len(head.lstrip()), len(head.rstrip())
        body = head[start:stop] + self.split.closing
        if URL_PLACEHOLDER in body:  # (never in HTML Markdown wrote)
            return link_fragments_to(body, URL_PLACEHOLDER)
        links = tuple(start + position for position in outward_links(body))
        return SummarySlice(full, start, stop, links, self.split.closing)


def plan_summary(content: Any, options: Options) -> ReadMoreSummary | None:
    """Decide a content object's summary and set its ``has_more``.

    Returns its own ``get_summary``, or None to keep Pelican's summary.
    Rewrites ``_content`` when it holds a marker. In a body cut from the
    article, fragment links to ids left out lead to the article
    (:data:`URL_PLACEHOLDER`); an author's summary is used as written.
    """
    html = content._content or ""
    author = content.metadata.get("summary")
    split = split_at_marker(html, options.marker)
    if split is not None:
        content._content = split.article
        forget_memoized(content, "get_content")
        content.has_more = split.has_more
        if author is not None:
            return ReadMoreSummary(content, author, "#more", options)
        if not split.summary:
            logger.warning(
                "%s: the read-more marker comes before any text: the summary is empty",
                content.source_path,
            )
        return ReadMoreSummary(content, None, "#more", options, split.cut)
    if options.cjk_length and is_cjk_text(html):
        cut = cut_by_characters(html, options.cjk_length, options.ellipsis)
        content.has_more = cut is not None
        if author is None:
            body = link_fragments_to(cut or html, URL_PLACEHOLDER)
            return ReadMoreSummary(content, body, "", options)
        return ReadMoreSummary(content, author, "", options) if cut else None
    content.has_more = author is None and pelican_truncates(
        html, options.summary_max_length, options.summary_max_paragraphs
    )
    return None


def add_read_more(content: Any, options: Options) -> None:
    """Give one article or page its summary (or leave Pelican's)."""
    summary = plan_summary(content, options)
    if summary is not None:
        content.get_summary = summary
    elif isinstance(getattr(content, "get_summary", None), ReadMoreSummary):
        del content.get_summary  # planned again: Pelican's summary after all
        forget_memoized(content, "get_summary")
    # What the plan was made from, and whether it was cut at a marker: kept in
    # the build's context until all generators are finalized, not on the content.
    plans = content._context.setdefault(PLANS, {})
    plans[id(content)] = (content._content, bool(summary and summary.at_marker))


OPTIONS = "_read_more_options"  # the context key of the build's Options


def options_of(generator: Any) -> Options:
    """The build's Options, read once for all generators (they share one
    context and one settings): the theme's templates are scanned once."""
    context = getattr(generator, "context", None)
    if context is None:
        return Options.from_settings(generator.settings)
    if OPTIONS not in context:
        context[OPTIONS] = Options.from_settings(generator.settings)
    return context[OPTIONS]


def finalize_articles(generator: Any) -> None:
    """Cut every article's summary (drafts, hidden posts, translations too)."""
    options = options_of(generator)
    if options.theme_link:
        logger.info(
            "read_more: the theme's %s prints its own read-more link after "
            "article.summary; summaries get none (READ_MORE_LINK = True adds it)",
            options.theme_link,
        )
    for article in contents_of(generator, ARTICLE_LISTS):
        add_read_more(article, options)


def finalize_pages(generator: Any) -> None:
    """Cut every page's summary (hidden, draft pages and translations too)."""
    options = options_of(generator)
    for page in contents_of(generator, PAGE_LISTS):
        add_read_more(page, options)


def cut_rewritten_again(generators: Iterable[Any]) -> None:
    """Plan again the summary of content whose ``_content`` was rewritten after
    the cut.

    Receivers of one signal run in no fixed order: another plugin's
    ``page_generator_finalized`` receiver may rewrite ``_content`` (and the
    ``Summary:``) after this one; ``equations`` re-resolves the references of
    cached pages there, from a copy that still holds the marker. Content cut at
    its marker whose new ``_content`` holds none was only post-processed: its
    summary stays.
    """
    options = None
    contents = [
        content
        for generator in generators
        for content in contents_of(generator, ARTICLE_LISTS + PAGE_LISTS)
    ]
    plans: dict[int, tuple[str, bool]] = {}
    for content in contents:  # each holds the build's context (or one of its own)
        plans.update(content._context.pop(PLANS, {}))
    for content in contents:
        seen = plans.get(id(content))
        if seen is None or content._content is seen[0]:
            continue
        options = options or Options.from_settings(content.settings)
        if seen[1] and not find_markers(content._content or "", options.marker):
            continue
        add_read_more(content, options)  # its new plan is kept for a later check


def register() -> None:
    """Connect this plugin to Pelican's signals."""
    signals.generator_init.connect(add_template_loader)
    signals.article_generator_finalized.connect(finalize_articles)
    signals.page_generator_finalized.connect(finalize_pages)
    signals.all_generators_finalized.connect(cut_rewritten_again)
