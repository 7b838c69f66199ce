"""The ``equations`` plugin: equations numbered per article at build time.

Each article's HTML is scanned for its math spans (no HTML parser): numbered
equations get ``\\tag{N}`` written into their TeX and an element with an id
derived from the article's slug; ``\\label`` is removed; ``\\eqref{label}`` and
``\\ref{label}`` (in running text or inside math) become
``<a class="eqref" href="#ID">(N)</a>`` / ``N``; ``\\eqref{slug/label}`` links
to an equation of another article. MathJax then only draws what it is given
(``sujianlin/mathjax.html``, ``tags: 'none'``).

Signals:

- ``initialized``: setting defaults; the Markdown extension of
  :mod:`pelican_sujianlin.math_markdown` into ``MARKDOWN`` and reST math as
  TeX (``math_output``) into ``DOCUTILS_SETTINGS``, once;
- ``generator_init``: the bundle's partials become includable;
- ``content_object_init``: number one article's (or page's) own equations;
- ``article_generator_pretaxonomy``: references to other articles' equations,
  resolved every build from a pristine copy kept on the article (pages: at
  ``content_object_init``, or ``page_generator_finalized`` when cached);
- ``all_generators_finalized``: ``EQUATIONS_STRICT`` fails the build;
- ``feed_generated``: equation links in feeds become absolute.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from pelican import signals
from pelican.contents import Article, Page

from pelican_sujianlin import mathjax
from pelican_sujianlin.contents import (
    ARTICLE_LISTS,
    PAGE_LISTS,
    contents_of,
    forget_memoized,
    join_url,
)
from pelican_sujianlin.math_markdown import math_span_end
from pelican_sujianlin.theme import add_template_loader

logger = logging.getLogger(__name__)

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@4/tex-mml-chtml.js"

#: Every setting of the plugin, with its default.
DEFAULTS: dict[str, Any] = {
    # Unknown and duplicate labels fail the build instead of warning.
    "EQUATIONS_STRICT": False,
    # The MathJax component sujianlin/mathjax.html loads.
    "MATHJAX_URL": MATHJAX_CDN,
    # Where MathJax 4 finds its font packages ("@mathjax" folder URL); None:
    # derived from a local MATHJAX_URL (".../mathjax/x.js" -> ".../@mathjax"),
    # MathJax's own default (jsdelivr) otherwise.
    "MATHJAX_FONT_URL": None,
}

MARKDOWN_EXTENSION = "pelican_sujianlin.math_markdown"

ROW_ENVIRONMENTS = frozenset(
    {"align", "gather", "eqnarray", "flalign", "alignat", "xalignat", "xxalignat"}
)
SINGLE_ENVIRONMENTS = frozenset({"equation", "multline"})
NUMBERED_ENVIRONMENTS = ROW_ENVIRONMENTS | SINGLE_ENVIRONMENTS

MISSING_HTML = '<span class="eqref eqref-missing">(??)</span>'
MISSING_TEX = "\\text{(??)}"

# What scan_html passes over: text no token starts with, comments, tags, the
# raw elements (pre, code, script, style, textarea), escaped "\\" and "$",
# in one regex call per run instead of one Python step per tag. (Raw elements
# are spelt out: a backreference inside a possessive repeat trips CPython's
# re.) Tag names are matched in any case, TeX (the lookahead) in its own.
_HTML_SKIPPED = re.compile(
    r"""
    (?:
      [^<\\$]++
    | <pre\b[^>]*>.*?</pre\s*>
    | <code\b[^>]*>.*?</code\s*>
    | <script\b[^>]*>.*?</script\s*>
    | <style\b[^>]*>.*?</style\s*>
    | <textarea\b[^>]*>.*?</textarea\s*>
    | <!--.*?--> | <[A-Za-z/!?][^>]*> | \\[\\$]
    | <
    | \\(?!(?-i:(?:eq)?ref\{[^{}\s<]+\}|[(\[]|begin\{))
    )*+
    """,
    re.S | re.X | re.I,
)
# Where _HTML_SKIPPED stops: a reference in running text or a math opener.
_HTML_TOKEN = re.compile(
    r"(?P<ref>\\(?:eq)?ref\{[^{}\s<]+\})|(?P<math>\\[(\[]|\\begin\{|\$)"
)
# Without one of these, an article has nothing to number or resolve.
_WORK_WORDS = ("\\label", "\\tag", "\\begin", "ref{")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_TEX_TOKEN = re.compile(r"\\begin\{[^{}]*\}|\\end\{[^{}]*\}|\\\\|\\[A-Za-z]+|\\.|[{}]")
_BEGIN_ENV = re.compile(r"\\begin\{([A-Za-z]+)(\*?)\}")
_COLUMNS = re.compile(r"\s*\{[^{}]*\}")  # alignat's argument
_LABEL = re.compile(r"\\label\{([^{}]*)\}")
_LABEL_AND_SPACE = re.compile(r"[ \t]*\\label\{[^{}]*\}")
_TAG = re.compile(r"\\tag\*?\{")
_NOTAG = re.compile(r"\\no(?:tag|number)(?![A-Za-z])")
_REF = re.compile(r"\\(eq)?ref\{([^{}\s<]+)\}")
_ROW_FILLER = re.compile(
    r"\s+|\\label\{[^{}]*\}|\\no(?:tag|number)(?![A-Za-z])|^\[[^\]]*\]"
)
_XREF_MARK = re.compile("\ue000(\\d+)\ue001")
_ID_UNSAFE = re.compile(r"[^\w.:-]+")


# --- the pure part: HTML in, numbered HTML out ---------------------------------


class Problem(NamedTuple):
    """Something wrong in an article's equations, and the text to locate it by."""

    message: str
    needle: str
    occurrence: int = 0


class XRef(NamedTuple):
    """A reference to another article's equation, resolved later."""

    kind: str  # "eqref" or "ref"
    target: str  # the other article's slug
    label: str
    in_tex: bool  # inside a larger formula (a TeX \href), else an HTML link


class Numbered(NamedTuple):
    """One article's HTML after numbering, and what was learnt doing it."""

    html: str
    labels: dict[str, tuple[str, str]]  # label -> (number text, element id)
    problems: list[Problem]
    xrefs: list[XRef]
    has_math: bool


class _Display(NamedTuple):
    """A display span with its numbering done (references not yet)."""

    tex: str
    ids: list[str]


def number_equations(text: str, prefix: str) -> Numbered:
    """Number the display math of one article's HTML; resolve its references.

    ``prefix`` starts every element id (``eq-SLUG``); ids are ``PREFIX-N`` for
    numbered equations and ``PREFIX-tK`` for the K-th author's ``\\tag``.
    """
    if "$" not in text and "\\" not in text:
        return Numbered(text, {}, [], [], False)
    if not any(word in text for word in _WORK_WORDS):
        return Numbered(text, {}, [], [], bool(scan_html(text, first_only=True)))
    items = scan_html(text)
    labels: dict[str, tuple[str, str]] = {}
    problems: list[Problem] = []
    counter = _Counter(prefix)
    displays: dict[int, _Display] = {}
    for kind, start, end in items:
        if kind == "display":
            displays[start] = _number_display(
                text[start:end], counter, labels, problems
            )
    xrefs: list[XRef] = []
    refs = _RefWriter(labels, problems, xrefs)
    written, has_math = _write(text, items, displays, refs)
    return Numbered(written, labels, problems, xrefs, has_math)


def resolve_references(
    text: str,
    labels: dict[str, tuple[str, str]],
    html_base: str = "",
    tex_base: str = "",
) -> Numbered:
    """Only the references of ``text`` (e.g. a ``Summary:``), to ``labels``.

    Links are ``html_base#ID`` (``\\href{tex_base#ID}`` inside math); no
    equation is numbered.
    """
    if "ref{" not in text:
        return Numbered(text, labels, [], [], False)
    problems: list[Problem] = []
    xrefs: list[XRef] = []
    refs = _RefWriter(labels, problems, xrefs, html_base, tex_base)
    written, has_math = _write(text, scan_html(text), {}, refs)
    return Numbered(written, labels, problems, xrefs, has_math)


def _write(
    text: str,
    items: list[tuple[str, int, int]],
    displays: dict[int, _Display],
    refs: _RefWriter,
) -> tuple[str, bool]:
    """``text`` with its numbered displays and written references."""
    parts: list[str] = []
    last = 0
    has_math = False
    for kind, start, end in items:
        parts.append(text[last:start])
        last = end
        if kind == "ref":
            parts.append(refs.html(_REF.fullmatch(text, start, end)))
            continue
        if kind == "inline":
            width = 2 if text[start] == "\\" else 1
            whole = _REF.fullmatch(text[start + width : end - width].strip())
            if whole:
                parts.append(refs.html(whole))
                continue
            parts.append(refs.tex(text[start:end]))
            has_math = True
            continue
        has_math = True
        display = displays.get(start) or _Display(text[start:end], [])
        tex = refs.tex(display.tex)
        if display.ids:
            anchors = "".join(f'<span id="{i}"></span>' for i in display.ids[1:])
            tex = f'<span class="equation" id="{display.ids[0]}">{anchors}{tex}</span>'
        parts.append(tex)
    parts.append(text[last:])
    return "".join(parts), has_math


def scan_html(text: str, first_only: bool = False) -> list[tuple[str, int, int]]:
    """The math spans and references of HTML, as ``(kind, start, end)``.

    ``kind`` is ``"display"``, ``"inline"`` or ``"ref"`` (a reference in
    running text); with ``first_only``, the scan stops at the first math
    span. Tags, comments and ``pre``/``code``/``script``/``style``
    elements are skipped; a math span never contains a tag (MathJax's rule),
    though a ``<`` that starts no tag (``a < b`` in an HTML article) is text.
    """
    items: list[tuple[str, int, int]] = []
    position = 0
    while True:
        position = _HTML_SKIPPED.match(text, position).end()
        match = _HTML_TOKEN.match(text, position)
        if not match:
            return items
        position = match.end()
        kind = match.lastgroup
        if kind == "ref":
            items.append(("ref", match.start(), match.end()))
        elif kind == "math":
            start = match.start()
            end = math_span_end(text, start)
            if end is None or _TAG_START.search(text, start, end):
                continue
            inline = text[start] == "$" and text[start + 1] != "$"
            inline = inline or text.startswith("\\(", start)
            items.append(("inline" if inline else "display", start, end))
            if first_only:
                return items
            position = end


class _Counter:
    """Hands out equation numbers and element ids in document order."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.number = 0
        self.tags = 0

    def next_number(self) -> tuple[str, str]:
        self.number += 1
        return str(self.number), f"{self.prefix}-{self.number}"

    def next_tag(self, tag: str) -> tuple[str, str]:
        self.tags += 1
        return tag, f"{self.prefix}-t{self.tags}"


def split_display(tex: str) -> tuple[str, str, str, str, bool]:
    """``(head, body, tail, environment, numbered)`` of a display span.

    ``$$\\begin{align}..\\end{align}$$`` counts as its environment; plain
    ``$$``/``\\[`` spans are environment ``""``, not numbered by themselves.
    """
    if tex.startswith("\\begin"):
        begin = _BEGIN_ENV.match(tex)
        name, star = begin.group(1), begin.group(2)
        head_end = begin.end()
        if name.endswith("alignat") and (columns := _COLUMNS.match(tex, head_end)):
            head_end = columns.end()
        close = f"\\end{{{name}{star}}}"
        body = tex[head_end : len(tex) - len(close)]
        return tex[:head_end], body, close, name, not star
    head, body, tail = tex[:2], tex[2:-2], tex[-2:]
    inner = body.strip()
    begin = _BEGIN_ENV.match(inner)
    whole = begin and math_span_end(inner, 0) == len(inner)
    if whole and begin.group(1) in NUMBERED_ENVIRONMENTS:
        lead = body[: len(body) - len(body.lstrip())]
        trail = body[len(body.rstrip()) :]
        h, b, t, name, numbered = split_display(inner)
        return head + lead + h, b, t + trail + tail, name, numbered
    return head, body, tail, "", False


def split_rows(body: str) -> list[str]:
    """The rows of an environment's body, split at top-level ``\\\\``."""
    rows: list[str] = []
    depth = 0
    start = 0
    for token in _TEX_TOKEN.finditer(body):
        value = token.group()
        if value == "{" or value.startswith("\\begin{"):
            depth += 1
        elif value == "}" or value.startswith("\\end{"):
            depth -= 1
        elif value == "\\\\" and depth == 0:
            rows.append(body[start : token.start()])
            start = token.start()
    rows.append(body[start:])
    return rows


def _author_tag(row: str) -> str | None:
    match = _TAG.search(row)
    if not match:
        return None
    depth = 1
    for index in range(match.end(), len(row)):
        if row[index] == "{":
            depth += 1
        elif row[index] == "}":
            depth -= 1
            if depth == 0:
                return row[match.end() : index]
    return None


def _number_display(
    tex: str,
    counter: _Counter,
    labels: dict[str, tuple[str, str]],
    problems: list[Problem],
) -> _Display:
    if "\\label" not in tex and "\\tag" not in tex and "\\begin" not in tex:
        return _Display(tex, [])
    head, body, tail, env, numbered = split_display(tex)
    rows = split_rows(body) if env in ROW_ENVIRONMENTS else [body]
    ids: list[str] = []
    new_rows: list[str] = []
    for index, row in enumerate(rows):
        row_labels = _LABEL.findall(row)
        tag = _author_tag(row)
        empty_last = index > 0 and index == len(rows) - 1 and not row_labels
        empty_last = empty_last and not _ROW_FILLER.sub("", row.removeprefix("\\\\"))
        entry = None
        if tag is not None:
            entry = counter.next_tag(tag)
        elif not _NOTAG.search(row) and (numbered or row_labels) and not empty_last:
            entry = counter.next_number()
        for label in row_labels:
            _add_label(label, entry, labels, problems)
        if row_labels:
            row = _LABEL_AND_SPACE.sub("", row)
        if entry:
            ids.append(entry[1])
            if tag is None:
                stripped = row.rstrip()
                row = f"{stripped} \\tag{{{entry[0]}}}{row[len(stripped) :]}"
        new_rows.append(row)
    return _Display(head + "".join(new_rows) + tail, ids)


def _add_label(
    label: str,
    entry: tuple[str, str] | None,
    labels: dict[str, tuple[str, str]],
    problems: list[Problem],
) -> None:
    needle = f"\\label{{{label}}}"
    if entry is None:
        problems.append(
            Problem(f"label '{label}' is on an unnumbered equation", needle)
        )
    elif label in labels:
        problems.append(Problem(f"label '{label}' is defined twice", needle, 1))
    else:
        labels[label] = entry


class _RefWriter:
    """Writes the references of one article (HTML links or TeX ``\\href``)."""

    def __init__(self, labels, problems, xrefs, html_base="", tex_base="") -> None:
        self.labels = labels
        self.problems = problems
        self.xrefs = xrefs
        self.html_base = html_base
        self.tex_base = tex_base
        self.seen_missing: set[str] = set()

    def html(self, match: re.Match[str]) -> str:
        kind, label = match.group(1), match.group(2)
        if "/" in label:
            return self._xref(kind, label, in_tex=False)
        found = self._lookup(label, match.group())
        if found is None:
            return MISSING_HTML
        return eqref_link(f"{self.html_base}#{found[1]}", found[0], bool(kind))

    def tex(self, tex: str) -> str:
        if "ref{" not in tex:
            return tex
        return _REF.sub(self._tex_ref, tex)

    def _tex_ref(self, match: re.Match[str]) -> str:
        kind, label = match.group(1), match.group(2)
        if "/" in label:
            return self._xref(kind, label, in_tex=True)
        found = self._lookup(label, match.group())
        if found is None:
            return MISSING_TEX
        return tex_link(f"{self.tex_base}#{found[1]}", found[0], bool(kind))

    def _lookup(self, label: str, needle: str) -> tuple[str, str] | None:
        found = self.labels.get(label)
        if found is None and label not in self.seen_missing:
            self.seen_missing.add(label)
            self.problems.append(Problem(f"unknown label '{label}'", needle))
        return found

    def _xref(self, kind: str | None, label: str, in_tex: bool) -> str:
        target, _, name = label.partition("/")
        self.xrefs.append(XRef("eqref" if kind else "ref", target, name, in_tex))
        return f"\ue000{len(self.xrefs) - 1}\ue001"


def eqref_link(href: str, number: str, parentheses: bool) -> str:
    """The HTML of a reference: ``<a class="eqref" href="#ID">(N)</a>``."""
    text = f"({number})" if parentheses else number
    return f'<a class="eqref" href="{html.escape(href)}">{text}</a>'


def tex_link(href: str, number: str, parentheses: bool) -> str:
    """A reference inside a formula: ``\\href{#ID}{(N)}``."""
    text = f"({number})" if parentheses else number
    return f"\\href{{{href}}}{{{text}}}"


class Target(NamedTuple):
    """Where a cross-article reference points: hrefs and the number text."""

    html_href: str
    tex_href: str
    number: str


def resolve_xrefs(
    text: str,
    xrefs: list[XRef],
    lookup: Callable[[XRef], Target | str],
) -> tuple[str, list[Problem]]:
    """Replace the cross-article reference marks of ``text``.

    ``lookup`` returns a :class:`Target`, or the problem as a message.
    """
    problems: list[Problem] = []

    def replace(match: re.Match[str]) -> str:
        xref = xrefs[int(match.group(1))]
        found = lookup(xref)
        parentheses = xref.kind == "eqref"
        if isinstance(found, str):
            needle = f"\\{xref.kind}{{{xref.target}/{xref.label}}}"
            problems.append(Problem(found, needle))
            if xref.in_tex:
                return MISSING_TEX
            return MISSING_HTML
        if xref.in_tex:
            return tex_link(found.tex_href, found.number, parentheses)
        return eqref_link(found.html_href, found.number, parentheses)

    return _XREF_MARK.sub(replace, text), problems


def absolute_eqrefs(text: str, url: str) -> str:
    """Fragment-only equation links of ``text`` made to point into ``url``."""
    text = text.replace('class="eqref" href="#', f'class="eqref" href="{url}#')
    return text.replace("\\href{#", f"\\href{{{url}#")


def locate(source: str, needle: str, occurrence: int = 0) -> int | None:
    """The line number of the ``occurrence``-th ``needle`` in ``source``."""
    index = -1
    for _ in range(occurrence + 1):
        index = source.find(needle, index + 1)
        if index < 0:
            return None
    return source.count("\n", 0, index) + 1


def font_url(mathjax_url: str) -> str:
    """The ``@mathjax`` folder beside a local MathJax (``""`` when unknown)."""
    path, _, _ = mathjax_url.partition("?")
    folder, sep, _ = path.rpartition("/mathjax/")
    return folder + "/@mathjax" if sep else ""


# --- the Pelican glue -----------------------------------------------------------


class EquationError(Exception):
    """Raised with ``EQUATIONS_STRICT = True`` when an equation problem was found."""


def configure(pelican) -> None:
    """Setting defaults; Markdown and reST keep TeX as TeX (idempotent)."""
    settings = pelican.settings
    for name, value in DEFAULTS.items():
        settings.setdefault(name, value)
    if settings["MATHJAX_FONT_URL"] is None:
        settings["MATHJAX_FONT_URL"] = font_url(settings["MATHJAX_URL"])
    markdown = dict(settings.get("MARKDOWN") or {})
    extensions = list(markdown.get("extensions") or [])
    if not any(_is_math_extension(e) for e in extensions):
        extensions.append(MARKDOWN_EXTENSION)
    markdown["extensions"] = extensions
    settings["MARKDOWN"] = markdown
    docutils = dict(settings.get("DOCUTILS_SETTINGS") or {})
    docutils.setdefault("math_output", f"MathJax {settings['MATHJAX_URL']}")
    settings["DOCUTILS_SETTINGS"] = docutils


def _is_math_extension(extension: object) -> bool:
    if isinstance(extension, str):
        return extension.split(":")[0] == MARKDOWN_EXTENSION
    return type(extension).__module__ == MARKDOWN_EXTENSION


def id_prefix(content) -> str:
    """``eq-SLUG`` (plus ``-LANG`` for a translation): unique on any page."""
    slug = str(getattr(content, "slug", "") or "post")
    if not getattr(content, "in_default_lang", True):
        slug = f"{slug}-{content.lang}"
    return "eq-" + _ID_UNSAFE.sub("-", slug)


def number_content(content) -> None:
    """``content_object_init``: number one article's or page's own equations."""
    if not isinstance(content, (Article, Page)):
        return
    if not isinstance(content._content, str):
        return
    prefix = id_prefix(content)
    result = number_equations(content._content, prefix)
    summary = _summary_references(content, result.labels)
    content.has_math = result.has_math
    content.equation_labels = EquationLabels(result.labels, prefix)
    problems = [*result.problems, *(summary.problems if summary else ())]
    summary_xrefs = summary.xrefs if summary else []
    notes = None
    if problems or result.xrefs or summary_xrefs:
        notes = _Notes(_messages(content, problems), result.xrefs, summary_xrefs)
        if result.xrefs or summary_xrefs:
            notes.pristine = (result.html, summary.html if summary else None)
    _set_notes(content, notes)
    if result.html != content._content:
        content._content = result.html
    if summary:
        _set_summary(content, summary.html)
    if isinstance(content, Page):
        if notes and notes.pristine:
            resolve_content(content, _registry(content._context))
            _drop_pristine_unless_cached(content)
        content._context.setdefault("_equations_resolved", set()).add(id(content))
        _report(content)


class _Notes:
    """What the plugin keeps on a content object between signals, set only
    on content with problems or references to other articles (most content
    carries nothing but ``has_math`` and ``equation_labels``)."""

    __slots__ = ("pristine", "problems", "summary_xrefs", "xref_problems", "xrefs")

    def __init__(self, problems, xrefs, summary_xrefs) -> None:
        self.problems: list[str] = problems
        self.xrefs: list[XRef] = xrefs
        self.summary_xrefs: list[XRef] = summary_xrefs
        self.xref_problems: list[str] = []
        # (numbered HTML, summary) with the cross-article marks still in them
        self.pristine: tuple[str, str | None] | None = None


def _notes(content) -> _Notes | None:
    return getattr(content, "_equations", None)


def _set_notes(content, notes: _Notes | None) -> None:
    if notes is not None:
        content._equations = notes
    elif hasattr(content, "_equations"):  # notes of an earlier numbering
        del content._equations


class EquationLabels(Mapping):
    """``article.equation_labels``: ``{label: (number text, element id)}``.

    Read-only and compact: a build keeps one per article, and few are ever
    read (by references from other articles, or by a theme). The labels are
    one string, joined by NUL (which HTML text never holds), and each entry is
    a small int, the number of an equation whose id is ``PREFIX-N``, or a
    ``(number, id)`` pair; a lookup is a scan of the few labels of one article.
    """

    __slots__ = ("_entries", "_labels", "_prefix")

    SEPARATOR = "\0"

    def __init__(self, labels: Mapping[str, tuple[str, str]], prefix: str) -> None:
        self._prefix = prefix
        names = list(labels)
        joinable = not any(self.SEPARATOR in name for name in names)
        self._labels: str | tuple[str, ...] = (
            self.SEPARATOR.join(names) if joinable else tuple(names)
        )
        entries: list[int | tuple[str, str]] = []
        for number, element_id in labels.values():
            plain = number.isascii() and number.isdigit()
            plain = plain and element_id == f"{prefix}-{number}"
            entries.append(int(number) if plain else (number, element_id))
        self._entries = tuple(entries)

    def _names(self) -> tuple[str, ...] | list[str]:
        if isinstance(self._labels, tuple):
            return self._labels
        return self._labels.split(self.SEPARATOR) if self._entries else []

    def __getitem__(self, label: str) -> tuple[str, str]:
        try:
            entry = self._entries[self._names().index(label)]
        except ValueError:
            raise KeyError(label) from None
        if isinstance(entry, int):
            return str(entry), f"{self._prefix}-{entry}"
        return entry

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self)!r})"

    def __getstate__(self):
        return (self._labels, self._entries, self._prefix)

    def __setstate__(self, state) -> None:
        self._labels, self._entries, self._prefix = state


def _summary_references(content, labels) -> Numbered | None:
    """References in the ``Summary:`` metadata, linked into the article."""
    summary = content.metadata.get("summary")
    if not isinstance(summary, str) or "ref{" not in summary:
        return None
    siteurl = content.settings.get("SITEURL", "")
    return resolve_references(
        summary, labels, link_to(content, content), join_url(siteurl, content.url)
    )


def link_to(target, content) -> str:
    """The address of ``target`` in links written into ``content``.

    With relative URLs it depends on the page the link is shown on: Pelican's
    ``{filename}`` link, replaced when each page is written. Otherwise it is
    the absolute URL Pelican would write, set now: the article's HTML then has
    no intrasite link and Pelican keeps no second, link-replaced copy of it.
    """
    if content.settings.get("RELATIVE_URLS"):
        return f"{{filename}}/{target.get_relative_source_path()}"
    return join_url(content.settings.get("SITEURL", ""), target.url)


def _set_summary(content, summary: str) -> None:
    content.metadata["summary"] = summary
    content._summary = summary


def _messages(content, problems: list[Problem]) -> list[str]:
    """Problems as messages naming the file (and line, found in the source)."""
    if not problems:
        return []
    path = content.source_path or "?"
    try:
        with open(path, encoding="utf-8") as source_file:
            source = source_file.read()
    except OSError:
        source = ""
    messages = []
    for problem in problems:
        line = locate(source, problem.needle, problem.occurrence)
        where = f"{path}:{line}" if line else path
        messages.append(f"equations: {where}: {problem.message}")
    return messages


def _report(content) -> None:
    """Warn about every problem of ``content`` (its own and cross-article)."""
    for message in _problems(content):
        logger.warning(message)


def _problems(content) -> list[str]:
    notes = _notes(content)
    return [*notes.problems, *notes.xref_problems] if notes else []


def _registry(context: dict) -> dict[str, list]:
    return context.get("_equations_registry") or {}


def resolve_articles(generator) -> None:
    """``article_generator_pretaxonomy``: links to other articles' equations."""
    articles = contents_of(generator, ARTICLE_LISTS)
    registry: dict[str, list] = {}
    for article in articles:
        registry.setdefault(str(article.slug), []).append(article)
    generator.context["_equations_registry"] = registry
    for article in articles:
        if _has_pristine(article):
            resolve_content(article, registry)
            _drop_pristine_unless_cached(article)
        _report(article)


def _drop_pristine_unless_cached(content) -> None:
    """Without the content cache the pristine copy is never needed again: the
    next build (``--autoreload`` too) reads every file afresh."""
    if not content.settings.get("CACHE_CONTENT"):
        _notes(content).pristine = None


def _has_pristine(content) -> bool:
    notes = _notes(content)
    return bool(notes and notes.pristine)


def resolve_cached_pages(generator) -> None:
    """``page_generator_finalized``: cached pages with cross references.

    Every reference is resolved then: the registry of articles by slug and the
    set of pages done are dropped from the context, which the writers keep.
    """
    done = generator.context.pop("_equations_resolved", set())
    registry = generator.context.pop("_equations_registry", {})
    for page in contents_of(generator, PAGE_LISTS):
        if id(page) in done:
            continue
        if _has_pristine(page):
            resolve_content(page, registry)
        _report(page)


def resolve_content(content, registry: Mapping[str, list]) -> None:
    """Rewrite ``_content`` from the pristine copy with current numbers."""
    siteurl = content.settings.get("SITEURL", "")

    def lookup(xref: XRef) -> Target | str:
        candidates = registry.get(xref.target)
        if not candidates:
            return f"reference to unknown article '{xref.target}'"
        target = _pick(candidates, content)
        found = (getattr(target, "equation_labels", None) or {}).get(xref.label)
        if found is None:
            return f"unknown label '{xref.label}' in article '{xref.target}'"
        if target is content:
            return Target(f"#{found[1]}", f"#{found[1]}", found[0])
        html_href = f"{link_to(target, content)}#{found[1]}"
        tex_href = f"{join_url(siteurl, target.url)}#{found[1]}"
        return Target(html_href, tex_href, found[0])

    notes = _notes(content)
    pristine_content, pristine_summary = notes.pristine
    text, problems = resolve_xrefs(pristine_content, notes.xrefs, lookup)
    content._content = text
    if pristine_summary is not None:
        summary, more = resolve_xrefs(pristine_summary, notes.summary_xrefs, lookup)
        _set_summary(content, summary)
        problems.extend(more)
    forget_memoized(content)
    notes.xref_problems = _messages(content, problems)


def _pick(candidates: list, content):
    lang = getattr(content, "lang", None)
    for candidate in candidates:
        if getattr(candidate, "lang", None) == lang:
            return candidate
    for candidate in candidates:
        if getattr(candidate, "in_default_lang", False):
            return candidate
    return candidates[0]


def check_strict(generators) -> None:
    """``all_generators_finalized``: with ``EQUATIONS_STRICT``, fail on problems."""
    if not generators or not generators[0].settings.get("EQUATIONS_STRICT"):
        return
    problems = []
    for generator in generators:
        for content in contents_of(generator, ARTICLE_LISTS + PAGE_LISTS):
            problems.extend(_problems(content))
    if problems:
        raise EquationError("\n".join(dict.fromkeys(problems)))


def absolute_feed_links(context, feed) -> None:
    """``feed_generated``: ``href="#ID"`` of equation links -> article URL."""
    for item in feed.items:
        url = str(item.get("link", "")).split("?", 1)[0]
        for key in ("description", "content"):
            value = item.get(key)
            if value and ('class="eqref" href="#' in value or "\\href{#" in value):
                item[key] = absolute_eqrefs(value, url)


def register() -> None:
    """Connect this plugin to Pelican's signals."""
    signals.initialized.connect(configure)
    signals.generator_init.connect(add_template_loader)
    signals.content_object_init.connect(number_content)
    signals.article_generator_pretaxonomy.connect(resolve_articles)
    signals.page_generator_finalized.connect(resolve_cached_pages)
    signals.all_generators_finalized.connect(check_strict)
    signals.feed_generated.connect(absolute_feed_links)
    mathjax.connect()  # MathJax on every page that shows math
