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
- ``feed_generated``: equation links in feeds become absolute;
- ``article_generator_write_article``, ``page_generator_write_page``: the
  build's memo of numberings is let go.

With ``EQUATIONS_RENDER = "build"`` (read here with the other settings), small
receivers of ``all_generators_finalized``, ``feed_generated``, the two write
signals and ``finalized`` hand the build to :mod:`pelican_sujianlin.typeset`,
which only such a build imports.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Mapping
from importlib import import_module
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
    read_again,
    remember_readers,
    replace_reader_output,
    take_cached_metadata,
)
from pelican_sujianlin.math_markdown import BEGIN_ENV, math_span_end
from pelican_sujianlin.settings import Check, with_defaults
from pelican_sujianlin.theme import add_template_loader

logger = logging.getLogger(__name__)

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@4/tex-mml-chtml.js"

#: EQUATIONS_NUMBERING: the bundle's own (MathJax's 'ams' plus every labelled
#: display), then exactly MathJax 3's ``tags: 'ams'``, ``'all'``, ``'none'``.
NUMBERING_MODES = ("labelled", "ams", "all", "none")

#: Every setting of the plugin, with its default.
DEFAULTS: dict[str, Any] = {
    # Unknown and duplicate labels fail the build instead of warning.
    "EQUATIONS_STRICT": False,
    # "labelled" (numbered environments and every labelled display), or
    # exactly MathJax 3's tags: "ams", "all", "none".
    "EQUATIONS_NUMBERING": "labelled",
    # The MathJax component sujianlin/mathjax.html loads.
    "MATHJAX_URL": MATHJAX_CDN,
    # Where MathJax 4 finds its font packages ("@mathjax" folder URL); None:
    # derived from a local MATHJAX_URL (".../mathjax/x.js" -> ".../@mathjax"),
    # MathJax's own default (jsdelivr) otherwise.
    "MATHJAX_FONT_URL": None,
    # "browser": MathJax on the page; "build": typeset at build time
    # (pelican_sujianlin.typeset), no script.
    "EQUATIONS_RENDER": "browser",
    # Worker processes of a cold build that typesets; None: one per core.
    "TYPESET_PROCESSES": None,
}
CHECKS: dict[str, Check] = {
    "EQUATIONS_STRICT": Check(types=bool),
    "EQUATIONS_NUMBERING": Check(types=str, choices=NUMBERING_MODES),
    "MATHJAX_URL": Check(types=str),
    "MATHJAX_FONT_URL": Check(types=str, none=True),
    "EQUATIONS_RENDER": Check(types=str, choices=("browser", "build")),
    "TYPESET_PROCESSES": Check(types=int, none=True, minimum=1),
}

MARKDOWN_EXTENSION = "pelican_sujianlin.math_markdown"

DEFAULT_NUMBERING = DEFAULTS["EQUATIONS_NUMBERING"]
#: pelican-render-math's MATH_JAX["equation_numbering"] -> EQUATIONS_NUMBERING
RENDER_MATH_NUMBERING = {"ams": "ams", "auto": "all", "all": "all", "none": "none"}

MISSING_HTML = '<span class="eqref eqref-missing">(??)</span>'
MISSING_TEX = "\\text{(??)}"
# What \ref (no parentheses) to an unknown label shows.
MISSING_REF_HTML = '<span class="eqref eqref-missing">??</span>'
MISSING_REF_TEX = "\\text{??}"

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
    | \\(?!(?-i:(?:eq)?ref\s*\{[^{}<]*\}|[(\[]|begin\s*\{))
    )*+
    """,
    re.S | re.X | re.I,
)
# Where _HTML_SKIPPED stops: a reference in running text or a math opener.
HTML_TOKEN = re.compile(
    r"(?P<ref>\\(?:eq)?ref\s*\{[^{}<]*\})|(?P<math>\\[(\[]|\\begin\s*\{|\$)"
)
# Without one of these, an article has nothing to number or resolve (a bare
# "ref" would match every href and send nearly every page down the full path).
_WORK_WORDS = ("\\label", "\\tag", "\\begin", "\\ref", "\\eqref")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_REF = re.compile(r"\\(eq)?ref\s*\{([^{}<]*)\}")
_ANY_REF = re.compile(r"\\(?:eq)?ref\s*\{")
_OPENER = re.compile(r"\$\$|\\\[|\\begin\s*\{[^{}<]*\}")
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


def number_equations(text: str, prefix: str, mode: str = DEFAULT_NUMBERING) -> Numbered:
    """Number the display math of one article's HTML; resolve its references.

    ``prefix`` starts every element id (``eq-SLUG``); ids are ``PREFIX-N`` for
    numbered equations and ``PREFIX-tK`` for the K-th author's ``\\tag``.
    ``mode`` is one of :data:`NUMBERING_MODES`.
    """
    if "$" not in text and "\\" not in text:
        return Numbered(text, {}, [], [], False)
    if mode != "all" and not _has_work(text):
        return _without_work(text)
    items = scan_html(text)
    labels: dict[str, tuple[str, str]] = {}
    problems: list[Problem] = []
    counter = _Counter(prefix)
    displays: dict[int, _Display] = {}
    for kind, start, end in items:
        if kind == "display":
            displays[start] = _number_display(
                text[start:end], counter, labels, problems, mode
            )
        elif kind == "unclosed":
            problems.append(_unclosed(text, start, end))
    _resolve_tag_references(labels)
    problems.extend(_tags_like_numbers(counter))
    xrefs: list[XRef] = []
    refs = _RefWriter(labels, problems, xrefs)
    written, has_math = _write(text, items, displays, refs)
    return Numbered(written, labels, problems, xrefs, has_math)


def _without_work(text: str) -> Numbered:
    """Text with nothing to number or resolve, kept as it is (the same
    object): whether it shows math, and the openers nothing closes."""
    problems = []
    if "$$" in text or "\\[" in text:
        problems = [
            _unclosed(text, start, end)
            for kind, start, end in scan_html(text)
            if kind == "unclosed"
        ]
    return Numbered(text, {}, problems, [], bool(scan_html(text, first_only=True)))


def _has_work(text: str) -> bool:
    """Whether ``text`` has anything to number, resolve or warn about."""
    return (
        any(word in text for word in _WORK_WORDS) or _ANY_REF.search(text) is not None
    )


def _unclosed(text: str, start: int, end: int) -> Problem:
    """An opener (``$$``, ``\\[``, ``\\begin{..}``) that nothing closes."""
    opener = html.unescape(text[start:end])
    return Problem(
        f"{opener} is never closed (a blank line or an HTML tag ends the math): "
        "it is shown as text",
        opener,
        text.count(text[start:end], 0, start),
    )


def _resolve_tag_references(labels: dict[str, tuple[str, str]]) -> None:
    """``\\tag{\\ref{e}$'$}``: the number of a label is the tag with its
    references resolved, as MathJax shows it ("1$'$")."""
    for label, (number, element_id) in labels.items():
        if "ref" not in number:
            continue
        parts: list[str] = []
        last = 0
        for start, end, kind, target, _ in find_refs(number):
            parts.append(number[last:start])
            last = end
            found = labels.get(target)
            inner = found[0] if found and "ref" not in found[0] else "??"
            parts.append(f"({inner})" if kind == "eqref" else inner)
        parts.append(number[last:])
        labels[label] = ("".join(parts), element_id)


def _tags_like_numbers(counter: _Counter) -> list[Problem]:
    """An author's ``\\tag{2}`` beside an automatic (2): two equations drawn (2)."""
    clashes = [
        tag
        for tag in counter.tag_texts
        if tag.isdigit() and 0 < int(tag) <= counter.number
    ]
    return [
        Problem(
            f"\\tag{{{tag}}} draws ({tag}), the number of another equation",
            f"\\tag{{{tag}}}",
        )
        for tag in dict.fromkeys(clashes)
    ]


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
    if not _ANY_REF.search(text):
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
        if kind == "unclosed":
            continue
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

    ``kind`` is ``"display"``, ``"inline"``, ``"ref"`` (a reference in
    running text) or ``"unclosed"`` (a display opener, ``$$``, ``\\[`` or
    ``\\begin{..}``, with no closer: the span is the opener); with
    ``first_only``, the scan stops at the first math span. Tags, comments
    and ``pre``/``code``/``script``/``style`` elements are skipped; a math
    span never contains a tag (MathJax's rule), though a ``<`` that starts no
    tag (``a < b`` in an HTML article) is text.
    """
    items: list[tuple[str, int, int]] = []
    position = 0
    while True:
        position = _HTML_SKIPPED.match(text, position).end()
        match = HTML_TOKEN.match(text, position)
        if not match:
            return items
        position = match.end()
        kind = match.lastgroup
        if kind == "ref":
            items.append(("ref", match.start(), match.end()))
        elif kind == "math":
            start = match.start()
            end = math_span_end(text, start)
            inline = text[start] == "$" and text[start + 1 : start + 2] != "$"
            inline = inline or text.startswith("\\(", start)
            if end is None or _TAG_START.search(text, start, end):
                opener = None if inline or first_only else _OPENER.match(text, start)
                if opener:  # not "\begin{" without its "}"
                    items.append(("unclosed", start, opener.end()))
                continue
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
        self.tag_texts: list[str] = []
        self.labels_seen: set[str] = set()  # numbered or not (MathJax's allLabels)

    def next_number(self) -> tuple[str, str]:
        self.number += 1
        return str(self.number), f"{self.prefix}-{self.number}"

    def next_tag(self, tag: str) -> tuple[str, str]:
        self.tags += 1
        self.tag_texts.append(tag)
        return tag, f"{self.prefix}-t{self.tags}"


# --- reading a display's TeX as MathJax 3 reads it --------------------------------

#: Environments that own the \tag, \label and \notag of their rows (MathJax 3's
#: tag contexts), measured in MathJax 3 itself: each row numbered,
ROW_NUMBERED = frozenset(
    {"align", "gather", "eqnarray", "flalign", "alignat", "xalignat"}
)
#: rows that may carry a \tag but take no number,
ROW_UNNUMBERED = frozenset({"align*", "gather*", "eqnarray*", "alignat*"})
#: one number (or \tag) for the whole environment,
SINGLE_NUMBERED = frozenset({"equation", "multline"})
SINGLE_UNNUMBERED = frozenset({"equation*", "multline*"})
#: and contexts where \tag is an error and a \label or \notag is lost.
UNTAGGABLE = frozenset(
    {"flalign*", "xalignat*", "xxalignat", "aligned", "alignedat", "gathered", "split"}
)
TAGGABLE = ROW_NUMBERED | ROW_UNNUMBERED | SINGLE_NUMBERED | SINGLE_UNNUMBERED
#: LaTeX environments MathJax 3 does not have (it draws an error box instead).
UNKNOWN_TO_MATHJAX = frozenset({"subequations"})
#: MathJax allows one of these per formula ("Erroneous nesting").
EQUATION_STRUCTURES = TAGGABLE | {"flalign*", "xalignat*", "xxalignat"}
NUMBERED_ENVIRONMENTS = ROW_NUMBERED | SINGLE_NUMBERED
ROW_ENVIRONMENTS = ROW_NUMBERED | ROW_UNNUMBERED
_ENV_ARGUMENT = frozenset(
    {"alignat", "alignat*", "xalignat", "xalignat*", "xxalignat", "alignedat"}
    | {"array", "subarray", "darray"}
)
TEXT_COMMANDS = frozenset(
    {"text", "textrm", "textbf", "textit", "textsf", "texttt", "textup"}
    | {"textnormal", "textmd", "textsl", "mbox", "hbox", "tag"}
)

# The tokens that matter to numbering; everything between them is content.
_NUMBERING_TOKEN = re.compile(
    r"""
    (?P<comment>%[^\n]*)
  | \\(?P<edge>begin|end)\s*\{(?P<env>[^{}]*)\}
  | (?P<row>\\\\\*?(?:\[[^\]\n]*\])?|\\cr(?![A-Za-z]))
  | \\(?P<command>label|tag|notag|nonumber)(?![A-Za-z])(?P<star>\*?)
  | \\[^A-Za-z]
  | (?P<brace>[{}])
    """,
    re.X,
)
_ROWLESS_TOKEN = re.compile(
    r"\\(?P<edge>begin|end)\s*\{(?P<env>[^{}]*)\}"
    r"|\\(?P<command>label|tag|notag|nonumber)(?![A-Za-z])\*?"
)
# What lies between those tokens, passed over in one regex call: text,
# other control words, escapes, and brace groups holding nothing else
# (``\frac{1}{2}``, ``x_{t-1}``, ``\boldsymbol{\varepsilon}``).
_WORD = r"\\(?!(?:begin|end|label|tag|notag|nonumber|cr)(?![A-Za-z]))[A-Za-z]++"
_PLAIN = rf"(?:[^\\%{{}}]++|{_WORD}|\\[^A-Za-z\\])"
_NUMBERING_SKIPPED = re.compile(rf"(?:{_PLAIN}|\{{{_PLAIN}*+\}})*+")
# The tokens that matter to references (and whether they are in text mode).
_REF_TOKEN = re.compile(
    r"%[^\n]*|\\(?P<ref>(?:eq)?ref)\s*\{(?P<label>[^{}]*)\}"
    r"|\\(?P<word>[A-Za-z]+)|\\[^A-Za-z]|(?P<char>[{}$])"
)
_TEXT_NAMES = "|".join(sorted(TEXT_COMMANDS - {"tag"}))
_TEXT_COMMAND = re.compile(rf"\\(?:{_TEXT_NAMES})(?![A-Za-z])")
_SPACE_BEFORE = re.compile(r"[ \t]*\Z")  # \Z: "$" would also match before a newline


def _text_spans(tex: str) -> list[tuple[int, int]]:
    """The arguments of ``\\text`` and the like, where MathJax reads no
    ``\\label``, ``\\tag`` or ``\\notag`` (only references and ``$..$``)."""
    spans = []
    for match in _TEXT_COMMAND.finditer(tex):
        argument = _argument(tex, match.end())
        if argument and not any(s <= argument[0] < e for s, e in spans):
            spans.append(argument)
    return spans


def _argument(tex: str, position: int) -> tuple[int, int] | None:
    """``(start, end)`` of the braced argument at ``position`` (after optional
    spaces, as TeX reads it); ``end`` is past its closing brace."""
    length = len(tex)
    while position < length and tex[position] in " \t\n\r":
        position += 1
    if position >= length or tex[position] != "{":
        return None
    depth = 0
    index = position
    while index < length:
        char = tex[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return position, index + 1
        index += 1
    return None


class Slot:
    """One thing MathJax may number: a row, a whole environment, a display."""

    __slots__ = (
        "content",
        "env",
        "insert",
        "labels",
        "last_row",
        "notag",
        "numbered",
        "parent",
        "start",
        "taggable",
        "tags",
        "top",
    )

    def __init__(self, env: str, taggable: bool, numbered: bool, start: int) -> None:
        self.env = env
        self.taggable = taggable
        self.numbered = numbered
        self.top = env == ""
        self.start = start
        self.insert = start  # where a \tag goes: after the last content
        self.content = False
        self.last_row = False
        self.notag = False
        self.labels: list[tuple[str, int, int]] = []  # (label, start, end)
        self.parent: Slot | None = None  # the slot a split or aligned sits in
        self.tags: list[tuple[str, int, int]] = []  # (TeX of the tag, start, end)

    @property
    def dropped(self) -> bool:
        """An empty last row: MathJax draws no such row (nor its tag)."""
        return self.last_row and not self.content


class _Frame:
    __slots__ = ("name", "rows", "slot")

    def __init__(self, name: str, slot: Slot | None = None, rows: bool = False):
        self.name = name
        self.slot = slot  # a tag context's current slot, else None
        self.rows = rows


class Reading(NamedTuple):
    """What :func:`read_display` found in one display."""

    slots: list[Slot]  # in the order MathJax numbers them
    lost: list[Slot]  # slots of contexts where \tag is refused (split, aligned)
    labels: list[tuple[int, int]]  # every \label span, to remove
    problems: list[tuple[str, str]]  # (message, needle)
    has_taggable: bool  # a context that could carry a tag (MathJax 'all')
    bare: bool  # the display is an environment, not $$ or \[


def read_display(tex: str) -> Reading:
    """The slots of a display span (``$$..$$``, ``\\[..\\]``, ``\\begin..\\end``).

    TeX is read as TeX reads it: comments, ``\\cr``, spaces before an
    argument, braces and nested environments; only MathJax's tag contexts
    (:data:`TAGGABLE`, :data:`UNTAGGABLE`) split rows.
    """
    return _DisplayReader(tex).read()


class _DisplayReader:
    """One pass over a display's tokens, with the stack of open groups."""

    def __init__(self, tex: str) -> None:
        self.tex = tex
        self.bare = tex.startswith("\\begin")
        self.start, self.end = (0, len(tex)) if self.bare else (2, len(tex) - 2)
        self.top = Slot("", True, False, self.start)
        self.frames = [_Frame("", self.top)]
        self.slots: list[Slot] = []
        self.lost: list[Slot] = []
        self.labels: list[tuple[int, int]] = []
        self.refused: list[tuple[str, int, int]] = []  # (message, start, end)
        self.structures = 0
        self.text_spans = _text_spans(tex) if "box" in tex or "\\text" in tex else []
        self.has_taggable = False

    def read(self) -> Reading:
        tex, position, end = self.tex, self.start, self.end
        if "\\\\" not in tex and "%" not in tex and "\\cr" not in tex:
            position = end  # no rows to split: only environments and commands
            self._read_rowless()
        while position < end:
            skipped = _NUMBERING_SKIPPED.match(tex, position, end).end()
            if skipped > position:
                content = tex[position:skipped].rstrip()
                if content:
                    self._content(position + len(content))
                position = skipped
                if position >= end:
                    break
            match = _NUMBERING_TOKEN.match(tex, position, end)
            if not match:  # "\\begin" with no braces, say: content
                position += 1
                self._content(position)
                continue
            position = match.end()
            kind = "command" if match.lastgroup == "star" else match.lastgroup
            if kind == "env":
                position = self._environment(match, position)
            elif kind == "row":
                self._row(position)
            elif kind == "brace":
                self._brace(match.group(), position)
            elif kind == "command":
                position = self._command(match, position)
            elif kind != "comment":  # an escaped character: \{, \%, \,
                self._content(position)
        while len(self.frames) > 1:  # unclosed inside the span: MathJax errs
            self._close(self.frames.pop())
        self.slots.append(self.top)
        return Reading(
            self.slots,
            self.lost,
            self.labels,
            self._problems(),
            self.has_taggable,
            self.bare,
        )

    def _read_rowless(self) -> None:
        """:meth:`read` for TeX without rows or comments: braces matter not."""
        tex, position, end = self.tex, self.start, self.end
        while match := _ROWLESS_TOKEN.search(tex, position, end):
            content = tex[position : match.start()].rstrip()
            if content:
                self._content(position + len(content))
            position = match.end()
            if match.group("env") is not None:
                position = self._environment(match, position)
            else:
                position = self._command(match, position)
        content = tex[position:end].rstrip()
        if content:
            self._content(position + len(content))

    def _slot(self) -> Slot:
        """The slot of the innermost tag context."""
        frames = self.frames
        index = len(frames) - 1
        while frames[index].slot is None:
            index -= 1
        return frames[index].slot

    def _content(self, end: int) -> None:
        slot = self._slot()
        slot.content = True
        slot.insert = end

    def _close(self, frame: _Frame) -> None:
        if frame.slot is not None:
            frame.slot.last_row = frame.rows
            slot = frame.slot
            (self.slots if slot.taggable else self.lost).append(slot)

    def _environment(self, match: re.Match[str], position: int) -> int:
        name = match.group("env").strip()
        if match.group("edge") == "end":
            while len(self.frames) > 1:
                closing = self.frames.pop()
                self._close(closing)
                if closing.name == name:
                    break
            self._content(position)
            return position
        if name in UNKNOWN_TO_MATHJAX:
            message = f"Unknown environment '{name}'"
            self.refused.append((message, match.start(), position))
        if name in EQUATION_STRUCTURES:
            self.structures += 1
            if self.structures == 2:
                message = "Erroneous nesting of equation structures"
                self.refused.append((message, match.start(), position))
        if name in _ENV_ARGUMENT and (argument := _argument(self.tex, position)):
            position = argument[1]
        self._content(position)
        if name not in TAGGABLE and name not in UNTAGGABLE:
            self.frames.append(_Frame(name))
            return position
        taggable = name in TAGGABLE
        self.has_taggable = self.has_taggable or taggable
        slot = Slot(name, taggable, name in NUMBERED_ENVIRONMENTS, position)
        slot.parent = self._slot()
        rows = name in ROW_ENVIRONMENTS or not taggable
        self.frames.append(_Frame(name, slot, rows))
        return position

    def _row(self, position: int) -> None:
        frame = self.frames[-1]
        if frame.slot is None or not frame.rows:
            self._content(position)  # a \\ of cases, array, equation...
            return
        ended = frame.slot
        (self.slots if ended.taggable else self.lost).append(ended)
        frame.slot = Slot(ended.env, ended.taggable, ended.numbered, position)
        frame.slot.parent = ended.parent

    def _brace(self, brace: str, position: int) -> None:
        self._content(position)
        if brace == "{":
            self.frames.append(_Frame("{"))
        elif len(self.frames) > 1 and self.frames[-1].name == "{":
            self.frames.pop()

    def _in_text(self, position: int) -> bool:
        """Whether ``position`` is in a ``\\text`` argument, not in math there."""
        for start, end in self.text_spans:
            if start < position < end:
                before = self.tex[start:position].replace("\\$", "")
                opened = before.count("\\(") > before.count("\\)")
                return before.count("$") % 2 == 0 and not opened
        return False

    def _command(self, match: re.Match[str], position: int) -> int:
        if self._in_text(match.start()):
            return position  # text, not TeX, to MathJax
        slot = self._slot()
        command = match.group("command")
        if command in ("notag", "nonumber"):  # MathJax: \tag{}, the last wins
            slot.notag = True
            slot.tags.clear()
            return position
        argument = _argument(self.tex, position)
        if argument is None:
            return position
        text = self.tex[argument[0] + 1 : argument[1] - 1]
        span = (match.start(), argument[1])
        if command == "label":
            self.labels.append(span)
            if text:
                slot.labels.append((text, *span))
        else:
            slot.tags.append((text, *span))
            slot.notag = False
        return argument[1]

    def _problems(self) -> list[tuple[str, str]]:
        """What MathJax refuses, in its words, with the TeX to find it by."""
        tex = self.tex
        problems = [(message, tex[start:end]) for message, start, end in self.refused]
        for slot in (*self.slots, *self.lost):
            if len(slot.labels) > 1:
                _, start, end = slot.labels[1]
                problems.append(("Multiple \\label", tex[start:end]))
            if len(slot.tags) > 1:
                _, start, end = slot.tags[1]
                problems.append(("Multiple \\tag", tex[start:end]))
        for slot in self.lost:
            if slot.tags:
                _, start, end = slot.tags[0]
                message = f"\\tag not allowed in {slot.env} environment"
                problems.append((message, tex[start:end]))
        return problems


def find_refs(tex: str) -> list[tuple[int, int, str, str, bool]]:
    """``(start, end, kind, label, in_text)`` of each reference in ``tex``.

    ``in_text``: inside the argument of ``\\text`` (or the like, or ``\\tag``)
    and not in math there, where MathJax reads a reference but no ``\\href``.
    """
    found = []
    # per brace group: None in math, True in text, False in math inside text
    modes: list[bool | None] = [None]
    text_next = False
    for match in _REF_TOKEN.finditer(tex):
        token = match.group()
        if match.group("ref"):
            label = match.group("label")
            kind = match.group("ref")
            found.append((match.start(), match.end(), kind, label, modes[-1] is True))
        elif match.group("word"):
            text_next = match.group("word") in TEXT_COMMANDS
            continue
        elif token == "{":
            modes.append(True if text_next else modes[-1])
        elif token == "}":
            if len(modes) > 1:
                modes.pop()
        elif modes[-1] is not None and token in ("$", "\\(", "\\)"):
            modes[-1] = token == "\\)" if token != "$" else not modes[-1]
        text_next = False
    return found


def _number_display(
    tex: str,
    counter: _Counter,
    labels: dict[str, tuple[str, str]],
    problems: list[Problem],
    mode: str = DEFAULT_NUMBERING,
) -> _Display:
    plain = "\\label" not in tex and "\\tag" not in tex and not _nested(tex)
    if mode != "all" and plain and (mode == "none" or not _numbered_environment(tex)):
        return _Display(tex, [])
    reading = read_display(tex)
    problems.extend(Problem(message, needle) for message, needle in reading.problems)
    if mode == "labelled":
        for slot in reading.lost:  # a label inside split names its equation
            slot.parent.labels.extend(slot.labels)
    else:
        for slot in reading.lost:
            for label, start, end in slot.labels:
                problems.append(
                    Problem(
                        f"label '{label}' is inside {slot.env}, where MathJax keeps "
                        "no label: it cannot be linked",
                        tex[start:end],
                    )
                )
    edits: list[tuple[int, int, str]] = [
        (_SPACE_BEFORE.search(tex, 0, start).start(), end, "")
        for start, end in reading.labels
    ]
    ids: list[str] = []
    wrap = ""
    for slot in reading.slots:
        entry = None
        if slot.top and slot.tags and reading.has_taggable and mode != "labelled":
            _, start, end = slot.tags[0]
            problems.append(Problem(_TAG_ON_NUMBERED, tex[start:end]))
            if mode == "all":  # MathJax 'all' draws no such tag
                edits.extend((start, end, "") for _, start, end in slot.tags)
                slot.tags.clear()
        if slot.tags and not slot.dropped:
            entry = counter.next_tag(slot.tags[0][0])
        elif slot.top and slot.notag and slot.labels and mode != "labelled":
            entry = counter.next_tag("")  # MathJax draws \notag as an empty tag
        elif _takes_number(slot, reading, mode):
            entry = counter.next_number()
            if slot.top and reading.bare:
                wrap = f" \\tag{{{entry[0]}}}"
            else:
                edits.append((slot.insert, slot.insert, f" \\tag{{{entry[0]}}}"))
        if entry:
            ids.append(entry[1])
        if slot.labels:
            label, start, end = slot.labels[0]
            needle = tex[start:end]
            if label in counter.labels_seen:
                problems.append(_defined_twice(label, needle))
            else:
                _add_label(label, entry, labels, problems, needle, slot, mode)
            counter.labels_seen.add(label)
    if not ids and not reading.labels:
        return _Display(tex, [])
    edits.sort(key=lambda edit: (edit[0], edit[1] != edit[0]))
    parts: list[str] = []
    last = 0
    for start, end, replacement in edits:
        parts.append(tex[last:start])
        parts.append(replacement)
        last = max(last, end)
    parts.append(tex[last:])
    written = "".join(parts)
    if wrap:
        written = f"\\[{written}{wrap}\\]"
    return _Display(written, ids)


_TAG_ON_NUMBERED = (
    "\\tag outside the rows of an environment that takes tags: MathJax draws "
    "it beside theirs ('ams', 'none') or not at all ('all')"
)


def _nested(tex: str) -> bool:
    """Whether ``tex`` holds two equation structures, which MathJax refuses."""
    if tex.count("\\begin") < 2:
        return False
    names = BEGIN_ENV.findall(tex)
    return sum(name.strip() in EQUATION_STRUCTURES for name in names) > 1


def _numbered_environment(tex: str) -> bool:
    """Whether ``tex`` opens an environment MathJax numbers (cheap check)."""
    if "\\begin" not in tex:
        return False
    return any(name in NUMBERED_ENVIRONMENTS for name in BEGIN_ENV.findall(tex))


def _takes_number(slot: Slot, reading: Reading, mode: str) -> bool:
    """Whether MathJax (``tags: MODE``), or the bundle's own mode, numbers it."""
    if slot.notag or slot.dropped or mode == "none":
        return False
    if slot.numbered:
        return True
    if mode == "all":
        return slot.top and not reading.has_taggable
    return mode == "labelled" and bool(slot.labels) and slot.taggable


def _add_label(
    label: str,
    entry: tuple[str, str] | None,
    labels: dict[str, tuple[str, str]],
    problems: list[Problem],
    needle: str,
    slot: Slot,
    mode: str,
) -> None:
    if entry is None:
        if slot.dropped:
            why = "its row is empty, and MathJax draws no empty last row"
        elif slot.notag:
            why = "its row has \\notag"
        else:
            why = f"EQUATIONS_NUMBERING = {mode!r} numbers no such display"
        message = f"label '{label}' is on an unnumbered equation ({why})"
        problems.append(Problem(f"{message}: it cannot be linked", needle))
    else:
        labels[label] = entry


def _defined_twice(label: str, needle: str) -> Problem:
    return Problem(
        f"label '{label}' is defined twice (MathJax: Label '{label}' multiply defined)",
        needle,
        1,
    )


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
        if self._elsewhere(label):
            return self._xref(bool(kind), label, in_tex=False)
        found = self._lookup(label, match.group())
        if found is None:
            return MISSING_HTML if kind else MISSING_REF_HTML
        return eqref_link(f"{self.html_base}#{found[1]}", found[0], bool(kind))

    def tex(self, tex: str) -> str:
        """``tex`` with its references written; in text mode (``\\text{..}``,
        a ``\\tag``) wrapped in math, where MathJax reads a ``\\href``."""
        if "ref" not in tex:
            return tex
        found = find_refs(tex)
        if not found:
            return tex
        in_text = ("$", "$") if tex.startswith("\\(") else ("\\(", "\\)")
        parts: list[str] = []
        last = 0
        for start, end, kind, label, text_mode in found:
            parts.append(tex[last:start])
            last = end
            wrap = in_text if text_mode else None
            written = self._tex_ref(kind == "eqref", label, tex[start:end])
            parts.append(f"{wrap[0]}{written}{wrap[1]}" if wrap else written)
        parts.append(tex[last:])
        return "".join(parts)

    def _tex_ref(self, eqref: bool, label: str, needle: str) -> str:
        if self._elsewhere(label):
            return self._xref(eqref, label, in_tex=True)
        found = self._lookup(label, needle)
        if found is None:
            return MISSING_TEX if eqref else MISSING_REF_TEX
        return tex_link(f"{self.tex_base}#{found[1]}", found[0], eqref)

    def _elsewhere(self, label: str) -> bool:
        """``SLUG/label`` names another article's label, unless it is one here."""
        return "/" in label and label not in self.labels

    def _lookup(self, label: str, needle: str) -> tuple[str, str] | None:
        found = self.labels.get(label)
        if found is None and label not in self.seen_missing:
            self.seen_missing.add(label)
            self.problems.append(Problem(f"unknown label '{label}'", needle))
        return found

    def _xref(self, eqref: bool, label: str, in_tex: bool) -> str:
        target, _, name = label.partition("/")
        self.xrefs.append(XRef("eqref" if eqref else "ref", target, name, in_tex))
        return f"\ue000{len(self.xrefs) - 1}\ue001"


def eqref_link(href: str, number: str, parentheses: bool) -> str:
    """The HTML of a reference: ``<a class="eqref" href="#ID">(N)</a>``."""
    text = f"({number})" if parentheses else number
    return f'<a class="eqref" href="{html.escape(href)}">{text}</a>'


def tex_link(href: str, number: str, parentheses: bool) -> str:
    """A reference inside a formula: ``\\href{#ID}{(N)}`` (a tag holding TeX,
    ``\\tag{1$'$}``, as MathJax draws tags: ``\\href{#ID}{\\text{(1$'$)}}``)."""
    text = f"({number})" if parentheses else number
    if "\\" in number or "$" in number:
        text = f"\\text{{{text}}}"
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
    spans: list[int] | None = None,
) -> tuple[str, list[Problem]]:
    """Replace the cross-article reference marks of ``text``.

    ``lookup`` returns a :class:`Target`, or the problem as a message. Given
    ``spans``, the start and end of each mark's replacement in the result are
    appended to it (see :func:`restore_marks`).
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
                return MISSING_TEX if parentheses else MISSING_REF_TEX
            return MISSING_HTML if parentheses else MISSING_REF_HTML
        if xref.in_tex:
            return tex_link(found.tex_href, found.number, parentheses)
        return eqref_link(found.html_href, found.number, parentheses)

    if spans is None:
        return _XREF_MARK.sub(replace, text), problems
    parts: list[str] = []
    last = length = 0
    for match in _XREF_MARK.finditer(text):
        written = replace(match)
        parts += [text[last : match.start()], written]
        start = length + match.start() - last
        length = start + len(written)
        spans += [start, length]
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), problems


def restore_marks(text: str, spans: tuple[int, ...]) -> str:
    """``text`` with the references at ``spans`` (from :func:`resolve_xrefs`)
    made marks again, numbered in order."""
    parts: list[str] = []
    last = 0
    for index in range(0, len(spans), 2):
        start, end = spans[index], spans[index + 1]
        parts += [text[last:start], f"\ue000{index // 2}\ue001"]
        last = end
    parts.append(text[last:])
    return "".join(parts)


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
    if "EQUATIONS_NUMBERING" not in settings:
        numbering = numbering_from_render_math(settings.get("MATH_JAX"))
        if numbering is not None:
            settings["EQUATIONS_NUMBERING"] = numbering
    settings.update(with_defaults(settings, DEFAULTS, CHECKS))
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
    if settings["EQUATIONS_RENDER"] == "build":
        import_module(TYPESET_MODULE).configure(pelican)


def numbering_from_render_math(math_jax: object) -> str | None:
    """EQUATIONS_NUMBERING for a site still carrying pelican-render-math's
    ``MATH_JAX`` dict (its ``equation_numbering``: "none" by default, "AMS",
    "auto"), with a warning naming the replacement; None without one."""
    if not isinstance(math_jax, Mapping):
        return None
    given = str(math_jax.get("equation_numbering") or "none")
    numbering = RENDER_MATH_NUMBERING.get(given.lower(), "none")
    logger.warning(
        "equations: MATH_JAX is pelican-render-math's setting; its equation "
        "numbering (%r) is read as EQUATIONS_NUMBERING = %r: set that instead "
        "(and MATHJAX_URL for its 'source'); its other keys are not used",
        given,
        numbering,
    )
    return numbering


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
    """``content_object_init``: number one article's or page's own equations
    (or take the numbering the content cache kept with the file's HTML)."""
    if not isinstance(content, (Article, Page)):
        return
    if not isinstance(content._content, str):
        return
    prefix = id_prefix(content)
    mode = content.settings.get("EQUATIONS_NUMBERING", DEFAULT_NUMBERING)
    context = content._context if isinstance(content._context, dict) else {}
    numbered = context.setdefault(NUMBERED, {})
    numbering = numbered.get(fingerprint(content._content))
    if numbering is not None and numbering.prefix != prefix:
        numbering = None
    if numbering is None:
        record = take_cached_metadata(content, CACHED)
        numbering = _cached_numbering(content, record, prefix, mode)
    if numbering is None:
        source = content._content
        if record is not None:  # numbered by another version or mode
            _read_again(content)
        numbering = _number(content, prefix, mode)
        record = numbering.to_cache(mode)
        replace_reader_output(content, source, content._content, {CACHED: record})
    numbered[fingerprint(content._content)] = numbering
    content.has_math = numbering.has_math
    content.equation_labels = numbering.labels
    notes = None
    if numbering.problems or numbering.xrefs or numbering.summary_xrefs:
        notes = _Notes(
            list(numbering.problems), numbering.xrefs, numbering.summary_xrefs
        )
        if numbering.xrefs or numbering.summary_xrefs:
            notes.pristine = (content._content, numbering.summary)
    _set_notes(content, notes)
    if numbering.summary is not None:
        _set_summary(content, numbering.summary)
    if isinstance(content, Page):
        if notes and notes.pristine:
            resolve_content(content, _registry(content._context))
            _drop_pristine_unless_cached(content)
        content._context.setdefault("_equations_resolved", set()).add(id(content))
        _report(content)


# Metadata key of the numbering kept in the content cache with the numbered HTML.
CACHED = "_sujianlin_equations"
# Context key: numbered (and resolved) HTML's fingerprint -> its Numbering,
# this build. A content object made anew from another's numbered HTML
# (i18n_subsites makes a Draft of each untranslated article) takes that
# numbering: numbering the HTML again would wrap each equation twice.
NUMBERED = "_equations_numbered"


def forget_numberings(generator, content=None) -> None:
    """``article_generator_write_article``, ``page_generator_write_page``:
    the memo of numberings goes once pages are written (no content object
    is made after that; i18n_subsites makes its Drafts when all generators
    are finalized): half a megabyte at the build's peak on the benchmark's
    1,000 articles."""
    context = getattr(generator, "context", None)
    if isinstance(context, dict):
        context.pop(NUMBERED, None)


def fingerprint(text: str) -> tuple[int, int]:
    """``text``'s length and hash: a key that does not keep ``text`` alive
    (the memo keyed by the HTML itself held a second copy of every article
    once read_more had rewritten it: 10 MB on the benchmark's site)."""
    return len(text), hash(text)


class Numbering(NamedTuple):
    """What numbering a file's HTML found besides the new HTML (which has the
    cross-article references still as marks). With Pelican's content cache
    on, it is kept in the cache with that HTML in place of the reader's, and a
    build that finds the file unchanged numbers nothing."""

    prefix: str
    labels: EquationLabels
    has_math: bool
    problems: list[str]  # messages naming the file
    xrefs: list[XRef]
    summary_xrefs: list[XRef]
    summary: str | None  # the Summary: metadata, its references written

    # Kept in the cache as builtins only (a tuple led by this tag), so that a
    # cache written by another version of the plugin always unpickles.
    FORMAT = "sujianlin.equations/1"

    def to_cache(self, mode: str) -> tuple:
        """The record, tagged with the format and the numbering mode (a
        cached file numbered in another mode is numbered again)."""
        return (
            f"{self.FORMAT}:{mode}",
            self.prefix,
            self.labels.__getstate__(),
            self.has_math,
            tuple(self.problems),
            tuple(tuple(xref) for xref in self.xrefs),
            tuple(tuple(xref) for xref in self.summary_xrefs),
            self.summary,
        )

    @classmethod
    def from_cache(cls, record: Any, mode: str) -> Numbering | None:
        """The numbering of a cache record; None if it is not this version's
        or not this mode's."""
        if not isinstance(record, tuple) or len(record) != 8:
            return None
        tag, prefix, labels_state, has_math, problems, xrefs, summary_xrefs, summary = (
            record
        )
        if tag != f"{cls.FORMAT}:{mode}":
            return None
        labels = EquationLabels.__new__(EquationLabels)
        labels.__setstate__(labels_state)
        return cls(
            prefix,
            labels,
            has_math,
            list(problems),
            [XRef(*xref) for xref in xrefs],
            [XRef(*xref) for xref in summary_xrefs],
            summary,
        )


def _number(content, prefix: str, mode: str) -> Numbering:
    """Number ``content``'s HTML (``_content`` becomes the numbered HTML)."""
    result = number_equations(content._content, prefix, mode)
    summary = _summary_references(content, result.labels)
    problems = [*result.problems, *(summary.problems if summary else ())]
    if result.html != content._content:
        content._content = result.html
    return Numbering(
        prefix,
        EquationLabels(result.labels, prefix),
        result.has_math,
        _messages(content, problems),
        result.xrefs,
        summary.xrefs if summary else [],
        summary.html if summary else None,
    )


def _cached_numbering(content, record: Any, prefix: str, mode: str) -> Numbering | None:
    """The numbering the content cache kept with ``content``'s HTML, if any."""
    numbering = Numbering.from_cache(record, mode) if record is not None else None
    if numbering is None:
        return None
    if numbering.prefix != prefix:  # a settings change renamed the slug
        old, new = numbering.prefix + "-", prefix + "-"
        content._content = content._content.replace(old, new)
        labels = {
            label: (number, new + element_id.removeprefix(old))
            for label, (number, element_id) in numbering.labels.items()
        }
        summary = numbering.summary
        numbering = numbering._replace(
            prefix=prefix,
            labels=EquationLabels(labels, prefix),
            summary=summary.replace(old, new) if summary else summary,
        )
    return numbering


def _read_again(content) -> None:
    """``_content`` from the reader again: the cache holds the file's HTML as
    another version of the plugin, or another EQUATIONS_NUMBERING, numbered it."""
    text = read_again(content)
    if text is None:
        logger.warning(
            "equations: %s: the content cache holds this file as another version "
            "of the plugin or another EQUATIONS_NUMBERING numbered it; clear the "
            "cache (pelican --ignore-cache)",
            content.source_path,
        )
        return
    content._content = text


class _Notes:
    """What the plugin keeps on a content object between signals, set only
    on content with problems or references to other articles (most content
    carries nothing but ``has_math`` and ``equation_labels``)."""

    __slots__ = (
        "pristine",
        "problems",
        "spans",
        "summary_xrefs",
        "xref_problems",
        "xrefs",
    )

    def __init__(self, problems, xrefs, summary_xrefs) -> None:
        self.problems: list[str] = problems
        self.xrefs: list[XRef] = xrefs
        self.summary_xrefs: list[XRef] = summary_xrefs
        self.xref_problems: list[str] = []
        # (numbered HTML, summary) with the cross-article marks still in them
        self.pristine: tuple[str, str | None] | None = None
        # Once resolved: where the references are in _content and _summary,
        # to make the marks again (a cached object's next build) without
        # keeping a second copy of its HTML.
        self.spans: tuple[tuple[int, ...], tuple[int, ...] | None] | None = None


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
    ``(number, id)`` pair (a ``range`` when they are 1, 2, 3... in order, as
    in most articles); a lookup is a scan of the few labels of one article.
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
        numbered = range(1, len(entries) + 1)  # equations (1), (2)... in order
        self._entries = numbered if entries == list(numbered) else tuple(entries)

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
    # Translations another plugin took out of the lists (i18n_subsites, when
    # it runs first) are still shown, in feeds, through their original's.
    articles = list({id(a): a for a in articles + translations_of(articles)}.values())
    registry: dict[str, list] = {}
    for article in articles:
        registry.setdefault(str(article.slug), []).append(article)
    generator.context["_equations_registry"] = registry
    for article in articles:
        if _has_pristine(article):
            resolve_content(article, registry)
            _drop_pristine_unless_cached(article)
        _report(article)


def translations_of(articles: list) -> list:
    return [t for article in articles for t in getattr(article, "translations", ())]


def _drop_pristine_unless_cached(content) -> None:
    """The references' places are needed again only when the content cache
    keeps the content object itself (``CONTENT_CACHING_LAYER = "generator"``):
    otherwise the next build (``--autoreload`` too) makes every content object
    afresh."""
    settings = content.settings
    layer = settings.get("CONTENT_CACHING_LAYER", "reader")
    if not settings.get("CACHE_CONTENT") or layer != "generator":
        _notes(content).spans = None


def _has_pristine(content) -> bool:
    notes = _notes(content)
    return bool(notes and (notes.pristine or notes.spans))


def _pristine(content, notes: _Notes) -> tuple[str, str | None]:
    """The numbered HTML and summary with the cross-article marks in them."""
    if notes.pristine:
        return notes.pristine
    content_spans, summary_spans = notes.spans
    summary = None
    if summary_spans is not None:
        summary = restore_marks(content._summary, summary_spans)
    return restore_marks(content._content, content_spans), summary


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
    pristine_content, pristine_summary = _pristine(content, notes)
    content_spans: list[int] = []
    text, problems = resolve_xrefs(pristine_content, notes.xrefs, lookup, content_spans)
    content._content = text
    summary_spans = None
    summary = None
    if pristine_summary is not None:
        summary_spans = []
        summary, more = resolve_xrefs(
            pristine_summary, notes.summary_xrefs, lookup, summary_spans
        )
        _set_summary(content, summary)
        problems.extend(more)
    _remember_resolved(content, pristine_content, text, summary)
    notes.pristine = None
    notes.spans = (
        tuple(content_spans),
        None if summary_spans is None else tuple(summary_spans),
    )
    forget_memoized(content)
    notes.xref_problems = _messages(content, problems)


def _remember_resolved(content, numbered: str, resolved: str, summary) -> None:
    """A content object made from the resolved HTML takes its numbering, with
    nothing left to resolve (see ``NUMBERED``)."""
    memo = (content._context or {}).get(NUMBERED)
    numbering = memo.get(fingerprint(numbered)) if memo else None
    if numbering is not None:
        memo[fingerprint(resolved)] = numbering._replace(
            problems=[], xrefs=[], summary_xrefs=[], summary=summary
        )


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


# --- build-time typesetting (EQUATIONS_RENDER = "build") --------------------------
# It lives in its own module, imported by the first build that asks for it: a
# build whose math the browser typesets does not load it. These receivers
# hold its place among each signal's receivers.

TYPESET_MODULE = "pelican_sujianlin.typeset"


def typesetting(settings: Mapping[str, Any]) -> Any:
    """The typeset module when ``settings`` typeset at build time, else None."""
    if settings.get("EQUATIONS_RENDER") != "build":
        return None
    return import_module(TYPESET_MODULE)


def typeset_site(generators: list) -> None:
    """``all_generators_finalized``: typeset every article and page."""
    typeset = typesetting(generators[0].settings) if generators else None
    if typeset is not None:
        typeset.typeset_site(generators)


def typeset_feed(context: Mapping[str, Any], feed: Any) -> None:
    """``feed_generated``: typeset math in feed items becomes MathML."""
    typeset = typesetting(context)
    if typeset is not None:
        typeset.feed_items_math(context, feed)


def typeset_pages_begin(generator, content=None) -> None:
    """``article_generator_write_article``, ``page_generator_write_page``."""
    typeset = typesetting(generator.settings)
    if typeset is not None:
        typeset.pages_begin(generator, content)


def typeset_finish(pelican) -> None:
    """``finalized``: the stylesheet, the fonts and the formula cache."""
    typeset = typesetting(pelican.settings)
    if typeset is not None:
        typeset.finish_build(pelican)


def register() -> None:
    """Connect this plugin to Pelican's signals."""
    signals.initialized.connect(configure)
    signals.generator_init.connect(add_template_loader)
    signals.generator_init.connect(remember_readers)
    signals.content_object_init.connect(number_content)
    signals.article_generator_pretaxonomy.connect(resolve_articles)
    signals.page_generator_finalized.connect(resolve_cached_pages)
    signals.all_generators_finalized.connect(check_strict)
    signals.feed_generated.connect(absolute_feed_links)
    signals.article_generator_write_article.connect(forget_numberings)
    signals.page_generator_write_page.connect(forget_numberings)
    mathjax.connect()  # MathJax on every page that shows math
    signals.all_generators_finalized.connect(typeset_site)
    signals.feed_generated.connect(typeset_feed)
    signals.article_generator_write_article.connect(typeset_pages_begin)
    signals.page_generator_write_page.connect(typeset_pages_begin)
    signals.finalized.connect(typeset_finish)
