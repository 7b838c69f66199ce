"""The ``citation`` plugin: a plain citation and a BibTeX entry for every article.

``article.citation`` has ``text``
(``苏剑林. (Mar. 23, 2021). 《TITLE》[Blog post]. Retrieved from URL``),
``bibtex`` (an ``@online`` entry whose key is valid BibTeX for any slug), ``url``
(absolute, percent-encoded), ``key``, ``bib_url`` (when ``.bib`` files are
written) and the words the ``sujianlin/citation.html`` partial shows. All of it
is plain text: the partials escape it.

Signals: ``generator_init`` (makes the bundle's partials includable),
``article_generator_finalized`` (gives each article its citation, built on
first use),
``article_writer_finalized`` (writes the ``.bib`` files when
``CITATION_BIB_SAVE_AS`` is set).
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup
from pelican import signals

from pelican_sujianlin.contents import (
    ARTICLE_LISTS,
    PUBLISHED_ARTICLES,
    contents_of,
    join_url,
)
from pelican_sujianlin.language import is_chinese
from pelican_sujianlin.settings import Check, with_defaults
from pelican_sujianlin.theme import add_template_loader

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # Who is cited; None: the article's author(s).
    "CITATION_AUTHOR": None,
    # Start of every BibTeX key; None: from SITENAME (or SITEURL's host).
    "CITATION_KEY_PREFIX": None,
    # The published address citations point at; None: SITEURL.
    "CITATION_SITEURL": None,
    # Where to write one .bib file per article, e.g. "archives/{slug}.bib"; off.
    "CITATION_BIB_SAVE_AS": "",
}
TEXT = Check(types=str, none=True)
# CITATION_BIB_SAVE_AS's fields are an article's: it is checked on the first.
CHECKS: dict[str, Check] = dict.fromkeys(DEFAULTS, TEXT)

# The articles Pelican writes a page for (drafts are left out).
WRITTEN_ARTICLES = (*PUBLISHED_ARTICLES, "hidden_articles", "hidden_translations")

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip

# BibTeX's special characters, each as text-mode LaTeX.
BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "#": r"\#",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
BIBTEX_TABLE = str.maketrans(BIBTEX_ESCAPES)
# BibTeX counts every brace of a field, escaped or not: when a title's braces
# do not pair up, they become commands instead.
UNPAIRED_BRACES_TABLE = str.maketrans(
    {**BIBTEX_ESCAPES, "{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
)
SPECIAL = re.compile(r"[\\{}%&_#$~^]")
KEY_SAFE = re.compile(r"[A-Za-z0-9_.:-]")


@dataclass(frozen=True)
class Settings:
    """This plugin's settings, read once per build from Pelican's."""

    author: str | None
    key_prefix: str
    siteurl: str
    bib_save_as: str
    chinese: bool

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Settings:
        value = with_defaults(settings, DEFAULTS, CHECKS)
        siteurl = value["CITATION_SITEURL"] or str(settings.get("SITEURL") or "")
        prefix = value["CITATION_KEY_PREFIX"]
        return cls(
            author=value["CITATION_AUTHOR"],
            key_prefix=bibtex_key(prefix)
            if prefix
            else default_key_prefix(settings.get("SITENAME", ""), siteurl),
            siteurl=siteurl.rstrip("/"),
            bib_save_as=value["CITATION_BIB_SAVE_AS"] or "",
            chinese=is_chinese(settings),
        )


# --- pure functions -----------------------------------------------------------


def default_key_prefix(sitename: str, siteurl: str) -> str:
    """``"Scientific Spaces"`` -> ``"scientificspaces"``; a Chinese name falls
    back to SITEURL's host (``kexue.fm`` -> ``"kexuefm"``), then to ``"post"``."""
    for text in (sitename, urlsplit(siteurl).hostname or ""):
        prefix = re.sub(r"[^a-z0-9]", "", text.lower().removeprefix("www."))
        if prefix:
            return prefix
    return "post"


def bibtex_key(text: str) -> str:
    """A BibTeX key for any text: ASCII letters, digits and ``_.:-`` only.

    Other characters become ``-``, except non-ASCII ones, which become their
    code point (``中`` -> ``u4e2d``), so Chinese slugs keep distinct keys.
    """
    out = []
    for char in text:
        if KEY_SAFE.fullmatch(char):
            out.append(char)
        elif ord(char) > 127:
            out.append(f"u{ord(char):x}")
        else:
            out.append("-")
    return re.sub(r"-{2,}", "-", "".join(out)).strip("-") or "x"


def bibtex_escape(text: str) -> str:
    """Escape BibTeX's special characters ``{}%&_#$\\~^`` in text."""
    if not SPECIAL.search(text):
        return text
    table = BIBTEX_TABLE if braces_pair_up(text) else UNPAIRED_BRACES_TABLE
    return text.translate(table)


def braces_pair_up(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def plain_title(title: str) -> str:
    """A title as plain text: tags dropped, entities decoded (reST titles are HTML)."""
    if "<" not in title and "&" not in title:
        return " ".join(title.split())
    return Markup(title).striptags()


def absolute_url(siteurl: str, url: str) -> str:
    """The article's address, percent-encoded (Chinese slugs included)."""
    safe = ":/?#[]@!$&'()*+,;=%-._~"
    return quote(join_url(siteurl, url), safe=safe)


def citation_date(date: datetime) -> str:
    """``Mar. 23, 2021`` (``May 3, 2021``: May is not abbreviated)."""
    month = MONTHS[date.month - 1]
    return f"{month}{'' if month == 'May' else '.'} {date.day}, {date.year}"


def citation_text(
    author: str, date: datetime, title: str, url: str, chinese: bool
) -> str:
    """``AUTHOR. (Mar. 23, 2021). 《TITLE》[Blog post]. Retrieved from URL``."""
    quoted = f"《{title}》" if chinese else f"{title} "
    start = f"{author}. " if author else ""
    return f"{start}({citation_date(date)}). {quoted}[Blog post]. Retrieved from {url}"


def citation_bibtex(key: str, author: str, date: datetime, title: str, url: str) -> str:
    """An ``@online`` entry, one field per line, as kexue.fm writes them."""
    fields = [("title", bibtex_escape(title))]
    if author:
        fields.append(("author", bibtex_escape(author)))
    fields += [
        ("year", str(date.year)),
        ("month", MONTHS[date.month - 1]),
        ("url", "\\url{" + url.replace("{", "%7B").replace("}", "%7D") + "}"),
    ]
    lines = [f"@online{{{key},"] + [f"{name}={{{value}}}," for name, value in fields]
    return "\n".join([*lines, "}"])


# --- the article's citation ---------------------------------------------------


class BuildNotes:
    """What one build's citations share: what was already warned about, and
    the data of the citation last shown."""

    def __init__(self) -> None:
        self.relative_url_warned = False
        self.last_shown: tuple[Citation, CitationData] | None = None


@dataclass(frozen=True)
class Labels:
    """The partial's words in the site's language."""

    cite: str
    notice: str
    intro: str
    or_: str
    copy: str
    copied: str
    selected: str
    download: str


LABELS_ZH = Labels(
    cite="引用",
    notice="转载到请包括本文地址：",
    intro="如果您需要引用本文，请参考：",
    or_="或",
    copy="复制 BibTeX",
    copied="已复制",
    selected="已选中，请按 Ctrl+C 复制",
    download="下载 .bib 文件",
)
LABELS_EN = Labels(
    cite="Cite",
    notice="When reposting, please include this article's address: ",
    intro="If you need to cite this article:",
    or_="or",
    copy="Copy BibTeX",
    copied="Copied",
    selected="Selected: press Ctrl+C to copy",
    download="Download the .bib file",
)


@dataclass(frozen=True)
class CitationData:
    """What one article's citation says."""

    key: str
    text: str
    bibtex: str
    url: str
    bib_url: str


def _data_field(name: str) -> property:
    """A read-only attribute of the citation's :class:`CitationData`."""
    return property(lambda citation: getattr(citation._current(), name))


class Citation:
    """``article.citation``: what to cite and how (plain text, never HTML).

    Its text is made when a page shows it and kept only while that page is
    written (a build holds a thousand citations and shows each once or
    twice), so a site whose theme shows no citation pays nothing for it; the
    first site-relative address a build shows warns once. The article's
    ``url`` and ``save_as``, which list pages ask for on every row, are kept
    once asked for.
    """

    __slots__ = ("_article", "_data", "_notes", "_page_url", "_save_as", "_settings")

    key = _data_field("key")
    text = _data_field("text")
    bibtex = _data_field("bibtex")
    url = _data_field("url")
    bib_url = _data_field("bib_url")

    def __init__(
        self, article: Any, settings: Settings, notes: BuildNotes | None = None
    ) -> None:
        self._article = article
        self._settings = settings
        self._notes = notes if notes is not None else BuildNotes()
        self._page_url: str | None = None
        self._save_as: str | None = None
        self._data: CitationData | None = None  # an unpickled copy's only

    def _current(self) -> CitationData:
        if self._data is not None:
            return self._data
        notes = self._notes
        if notes.last_shown is not None and notes.last_shown[0] is self:
            return notes.last_shown[1]
        data = citation_data(self._article, self._settings, self.page_url)
        if not notes.relative_url_warned and "://" not in data.url:
            notes.relative_url_warned = True
            logger.warning(
                "citation: SITEURL is empty, so citations give site-relative "
                "addresses such as %s; set SITEURL (or CITATION_SITEURL) to the "
                "published address",
                data.url,
            )
        notes.last_shown = (self, data)
        return data

    @property
    def labels(self) -> Labels:
        """The partial's words in the site's language."""
        return LABELS_ZH if self._settings.chinese else LABELS_EN

    @property
    def label(self) -> str:
        return self.labels.cite

    @property
    def page_url(self) -> str:
        """The article's ``url`` (for links to ``#cite`` from list pages)."""
        if self._page_url is None:
            self._page_url = self._article.url
        return self._page_url

    @property
    def save_as(self) -> str:
        """The article's ``save_as`` (to know when a page is the article's own)."""
        if self._save_as is None:
            self._save_as = self._article.save_as
        return self._save_as

    def __getstate__(self) -> tuple:
        """A pickled citation keeps its values, not its article."""
        return (self._current(), self.page_url, self.save_as, self._settings)

    def __setstate__(self, state: tuple) -> None:
        self._data, self._page_url, self._save_as, self._settings = state
        self._article = None
        self._notes = BuildNotes()


def article_author(article: Any) -> str:
    authors = getattr(article, "authors", None) or []
    return " and ".join(str(a) for a in authors)


def citation_data(article: Any, settings: Settings, page_url: str) -> CitationData:
    title = plain_title(article.title)
    author = settings.author or article_author(article)
    url = absolute_url(settings.siteurl, page_url)
    key = f"{settings.key_prefix}-{bibtex_key(article.slug or '')}"
    date = article.date
    bib_url = ""
    # write_bib_files writes none for drafts
    if settings.bib_save_as and getattr(article, "status", "") != "draft":
        bib_url = absolute_url(settings.siteurl, bib_path(article, settings))
    return CitationData(
        key=key,
        text=citation_text(author, date, title, url, settings.chinese),
        bibtex=citation_bibtex(key, author, date, title, url),
        url=url,
        bib_url=bib_url,
    )


def bib_path(article: Any, settings: Settings) -> str:
    """Where the article's .bib file goes. A translation's gets ``-{lang}``
    before the extension when the pattern has no ``{lang}``, as Pelican's
    ARTICLE_LANG_SAVE_AS does: it shares the original's slug and date."""
    pattern = settings.bib_save_as
    if "{lang}" not in pattern and not getattr(article, "in_default_lang", True):
        root, extension = posixpath.splitext(pattern)
        pattern = f"{root}-{{lang}}{extension}"
    return pattern.format(**article.url_format)


# --- Pelican glue -------------------------------------------------------------


def checked_bib_pattern(settings: Settings, article: Any) -> Settings:
    """The settings, without .bib files if their pattern cannot be filled in."""
    if not settings.bib_save_as or article is None:
        return settings
    try:
        bib_path(article, settings)
    except (KeyError, IndexError, ValueError, AttributeError) as e:
        logger.warning(
            "citation: CITATION_BIB_SAVE_AS %r cannot be filled in (%s: %s); "
            "no .bib files are written",
            settings.bib_save_as,
            type(e).__name__,
            e,
        )
        return replace(settings, bib_save_as="")
    return settings


def add_citations(generator: Any) -> None:
    """article_generator_finalized: every article gets its ``citation``."""
    settings = Settings.from_settings(generator.settings)
    articles = contents_of(generator, ARTICLE_LISTS)
    first = articles[0] if articles else None
    settings = checked_bib_pattern(settings, first)
    generator.citation_settings = settings  # for write_bib_files, this build
    notes = BuildNotes()
    for article in articles:
        article.citation = Citation(article, settings, notes)


def write_bib_files(generator: Any, writer: Any) -> None:
    """article_writer_finalized: one ``.bib`` file per published article."""
    settings = getattr(generator, "citation_settings", None)
    if settings is None or not settings.bib_save_as:
        return
    output = Path(generator.output_path)
    for article in contents_of(generator, WRITTEN_ARTICLES):
        path = output / bib_path(article, settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article.citation.bibtex + "\n", encoding="utf-8")


def register() -> None:
    """Connect this plugin to Pelican's signals."""
    signals.generator_init.connect(add_template_loader)
    signals.article_generator_finalized.connect(add_citations)
    signals.article_writer_finalized.connect(write_bib_files)
