"""MathJax on every written page that shows math, in any theme, with no edit.

Part of the ``equations`` plugin: its ``register()`` calls :func:`connect`.
Each generator's Jinja environment renders its pages with a template class
whose ``render()`` hands the finished HTML to :meth:`PageStep.finish`, which
applies :func:`plan_page`; that is the page step. An article or page whose
``has_math`` is set shows math; any other page is scanned for math the
bundle recognises (the scanner that numbers equations, stopping at the first
formula). A page with math and no
MathJax yet gets the configuration and the script:
where the theme put ``{% include "sujianlin/mathjax.html" %}`` (a marker),
else before ``</head>``. A page without math gets nothing; a theme that
loads its own MathJax is left alone. It also keeps the read-more link's
words and raw TeX out of ``<meta>`` descriptions and JSON-LD built from a
summary. Feeds are not rendered from templates and never get a script.

``MATHJAX_URL = "local"``: pages load MathJax 3 from ``MATHJAX_LOCAL_PATH``
in the output; when the first page needs it, the few files pages use (the
component, its fonts, the TeX extensions it may autoload, ``ui/safe``: about
2 MB) are copied there from the ``django-static-mathjax`` package.

MathJax always loads its ``ui/safe`` extension (``javascript:`` links,
arbitrary styles, classes and ids in TeX are filtered; relative links such
as ``\\href{#eq-...}`` are kept), so comment math is safe on every page.

Signals: ``initialized`` (settings), ``generator_init`` (the page step on
the generator's template class; the build's :class:`PageStep` in the context).
"""

from __future__ import annotations

import functools
import html
import json
import logging
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from pelican import signals

from pelican_sujianlin import equations
from pelican_sujianlin.settings import Check, with_defaults

logger = logging.getLogger(__name__)

#: This module's settings, with their defaults (``MATHJAX_URL`` and
#: ``MATHJAX_FONT_URL`` are the ``equations`` plugin's).
DEFAULTS: dict[str, Any] = {
    # Where MATHJAX_URL = "local" puts MathJax in the output.
    "MATHJAX_LOCAL_PATH": "mathjax",
}
CHECKS: dict[str, Check] = {
    "MATHJAX_LOCAL_PATH": Check(
        types=str, test=lambda path: bool(path.strip("/")), means="a folder name"
    ),
}
LOCAL = "local"
LOCAL_PACKAGE = "django-static-mathjax"
LOCAL_COMPONENT = "tex-chtml.js"
# What a page of the bundle can ask for, below the package's es5/ folder.
LOCAL_FILES = (
    LOCAL_COMPONENT,
    "ui/safe.js",
    "output/chtml/fonts/woff-v2/*.woff",
    "input/tex/extensions/*.js",
)
# EQUATIONS_RENDER = "build": MathJax's stylesheet, in MATHJAX_LOCAL_PATH
# (written there by pelican_sujianlin.typeset).
TYPESET_STYLESHEET = "typeset-chtml.css"
# What sujianlin/mathjax.html writes (and tells the page step it wrote).
MARKER = "<!--sujianlin:mathjax-->"

_HEAD_END = re.compile(r"</head\s*>", re.I)
_BODY_END = re.compile(r"</body\s*>", re.I)
_MATHJAX_CONFIG = re.compile(r"\bMathJax\s*=(?!=)")
_DESCRIPTION_META = re.compile(
    r"""<meta\b[^>]*?\b(?:name|property)\s*=\s*["']?"""
    r"""(?:description|og:description|twitter:description)["'\s>][^>]*>""",
    re.I,
)
_CONTENT_ATTRIBUTE = re.compile(r"""(\bcontent\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.I)
_JSON_LD = re.compile(
    r"""(<script\b[^>]*application/ld\+json[^>]*>)(.*?)(</script\s*>)""", re.I | re.S
)
_READ_MORE_LINK = re.compile(r'<a class="read-more"[^>]*>(.*?)</a>', re.S)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")
# What is left of a formula cut short by a theme's truncation.
_CUT_MATH = re.compile(r"\$\$|\\\[|\\\(|\\begin\{")


@dataclass(frozen=True)
class MathJaxConfig:
    """How pages load MathJax, read once per build from the settings."""

    url: str  # the component; "" with a local copy (see local_path)
    font_url: str
    local_path: str  # the output folder of a local copy, else ""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> MathJaxConfig:
        value = with_defaults(settings, DEFAULTS, CHECKS)
        url = str(settings.get("MATHJAX_URL") or equations.MATHJAX_CDN)
        local_path = ""
        if url == LOCAL:
            url = ""
            local_path = value["MATHJAX_LOCAL_PATH"].strip("/")
        return cls(url, str(settings.get("MATHJAX_FONT_URL") or ""), local_path)

    def script_url(self, siteurl: str) -> str:
        """The component's URL on a page whose ``SITEURL`` is ``siteurl``."""
        if self.url:
            return self.url
        return f"{siteurl}/{self.local_path}/{LOCAL_COMPONENT}"

    def snippet(self, siteurl: str) -> str:
        """The MathJax configuration and script tags for one page."""
        return _snippet(self, siteurl)


# The ids ui/safe lets through: MathJax 4's rule, also given to MathJax 3,
# whose own drops the ids of drawn tags ("mjx-eqn:1") that themes' CSS and
# scripts look for. A JavaScript RegExp, so spliced into the JSON.
ID_PATTERN = r"/^mjx-(?:eqn:.+|[-a-zA-Z0-9_.]+)$/"
ID_PATTERN_MARK = "@ID_PATTERN@"


@functools.lru_cache(maxsize=64)
def _snippet(config: MathJaxConfig, siteurl: str) -> str:
    """:meth:`MathJaxConfig.snippet`, made once per page depth."""
    loader: dict[str, Any] = {"load": ["ui/safe"]}
    if config.font_url and not config.local_path:
        loader["paths"] = {"fonts": config.font_url}
    options = {
        "loader": loader,
        "options": {
            "safeOptions": {
                "safeProtocols": {"file": False},
                "idPattern": ID_PATTERN_MARK,
            }
        },
        "tex": {
            "inlineMath": [["$", "$"], ["\\(", "\\)"]],
            "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
            "processEscapes": True,
            "processEnvironments": True,
            "tags": "none",
        },
    }
    script = json.dumps(options, ensure_ascii=False).replace("</", "<\\/")
    script = script.replace(json.dumps(ID_PATTERN_MARK), ID_PATTERN)
    src = html.escape(config.script_url(siteurl))
    return (
        f"<script>window.MathJax = {script};</script>\n"
        f'<script defer id="MathJax-script" src="{src}"></script>\n'
    )


# --- the pure part: a page's HTML in, the finished page out --------------------


def has_math(page: str) -> bool:
    """Whether ``page`` shows math the bundle recognises (outside code,
    scripts, comments and tags; the scan stops at the first formula)."""
    return may_hold_math(page) and bool(equations.scan_html(page, first_only=True))


def may_hold_math(page: str) -> bool:
    """Whether ``page`` holds a ``$`` or a backslash starting math or a
    reference (``\\(``, ``\\[``, ``\\begin{``, ``\\ref{..}``), found by
    ``str.find``: a page without them is no work for the scan (a page typeset
    at build time holds megabytes of tags and usually none of them)."""
    if "$" in page:
        return True
    token = equations.HTML_TOKEN
    at = page.find("\\")
    while at >= 0:
        if token.match(page, at):
            return True
        at = page.find("\\", at + 1)
    return False


def loads_mathjax(page: str) -> bool:
    """Whether ``page`` already loads or configures MathJax itself: a
    ``<script>`` whose tag names it (``src=".../mathjax/..."``), or an inline
    script that sets ``window.MathJax``. One pass over the page's scripts."""
    start = page.find("<script")
    while start >= 0:
        tag_end = page.find(">", start)
        if tag_end < 0:
            return False
        if "athjax" in page[start:tag_end].lower():
            return True
        end = page.find("</script", tag_end)
        if end < 0:
            end = len(page)
        if "MathJax" in page[tag_end:end] and _MATHJAX_CONFIG.search(
            page, tag_end, end
        ):
            return True
        start = page.find("<script", end)
    return False


Edit = tuple[int, int, str]  # (start, end, new text) of a page


def plan_page(
    page: str,
    config: MathJaxConfig,
    siteurl: str,
    read_more: Callable[[], list[str]] = list,
    shows_math: bool = False,
    marked: int | None = None,
    head_extra: str = "",
) -> tuple[list[Edit], bool]:
    """What to change in a written page (in order), and whether it then
    loads MathJax from the bundle.

    ``shows_math``: the caller knows the page shows math (an article page
    whose article has math), which spares the scan. ``marked``: how many
    :data:`MARKER` the page holds (None: look for them all). ``read_more()``
    gives the words of the read-more link to keep out of descriptions (asked
    only when a description may hold them). A build-time typesetting pass
    (``EQUATIONS_RENDER = "build"``) belongs before: it leaves no raw math,
    so the page then gets no script. ``head_extra``: HTML for the end of
    the ``<head>`` (the typeset math's stylesheet).
    """
    # (the marker, a comment, is no math and names no script)
    if shows_math or not head_extra:
        math = shows_math or has_math(page)
    else:  # the quick look first: no copy without the formulas when it finds none
        math = may_hold_math(page) and has_math(_without_typeset(page))
    snippet = config.snippet(siteurl) if math and not loads_mathjax(page) else ""
    loaded = bool(snippet)
    markers = _find_all(page, MARKER, marked) if marked != 0 else []
    head = head_end(page)
    if head < 0 and not markers:
        body = _body_end(page) if snippet else -1
        if body < 0:  # no math, or a fragment rather than a page
            return [], False
        return [(body, body, snippet)], True
    # The <head> is rewritten as a small string.
    old_head = page[:head] if head > 0 else ""
    new_head = old_head
    if markers and markers[0] < head:
        new_head = new_head.replace(MARKER, snippet, 1).replace(MARKER, "")
        snippet = ""
    if "description" in new_head:
        new_head = clean_head(new_head, read_more, tex=math)
    if head >= 0:
        new_head += head_extra
    if snippet and not markers:
        new_head += snippet
        snippet = ""
    edits: list[Edit] = []
    if new_head != old_head:
        edits.append((0, max(head, 0), new_head))
    for at in markers:
        if at >= head:
            edits.append((at, at + len(MARKER), snippet))
            snippet = ""
    return edits, loaded


_TYPESET = "<mjx-container"
_TYPESET_END = "</mjx-container>"


def _without_typeset(page: str) -> str:
    """``page`` without the formulas typeset at build time, what a scan for
    raw math need not walk (MathJax's output is mostly tags)."""
    parts: list[str] = []
    last = 0
    while (start := page.find(_TYPESET, last)) >= 0:
        end = page.find(_TYPESET_END, start)
        if end < 0:
            break
        parts.append(page[last:start])
        last = end + len(_TYPESET_END)
    parts.append(page[last:])
    return "<br>".join(parts)  # a tag where a formula was: no math spans it


def join_edited(pieces: Sequence[str], edits: list[Edit]) -> str:
    """The text of ``pieces`` joined, with ``edits`` (in order, positions in
    the joined text) applied. Pieces are Jinja's output chunks: no copy of
    the whole unedited page is needed, which for a page of megabytes (an
    unpaginated index) halves the build's peak."""
    if not edits:
        return "".join(pieces)
    out: list[str] = []
    cursor = 0  # what comes before is written or replaced
    offset = 0  # where the current piece starts
    index = 0
    for number, piece in enumerate(pieces):
        if index == len(edits) and cursor <= offset:  # the rest is unedited
            out.extend(pieces[number:])
            break
        end = offset + len(piece)
        while index < len(edits) and edits[index][0] <= end:
            start, stop, new = edits[index]
            if start > cursor:
                out.append(piece[cursor - offset : start - offset])
            out.append(new)
            cursor = max(cursor, stop)
            index += 1
        if cursor < end:
            out.append(piece if cursor == offset else piece[cursor - offset :])
            cursor = end
        offset = end
    out.extend(new for _, _, new in edits[index:])
    return "".join(out)


def _find_all(text: str, word: str, count: int | None = None) -> list[int]:
    """Where ``word`` is in ``text`` (the first ``count`` places)."""
    found: list[int] = []
    at = text.find(word)
    while at >= 0 and (count is None or len(found) < count):
        found.append(at)
        if len(found) == count:
            break
        at = text.find(word, at + len(word))
    return found


def _body_end(page: str) -> int:
    """Where the last ``</body>`` starts, or -1."""
    found = -1
    for match in _BODY_END.finditer(page):
        found = match.start()
    return found


def head_end(page: str) -> int:
    """Where ``</head>`` starts in ``page``, or -1."""
    end = page.find("</head>")
    if end < 0:
        found = _HEAD_END.search(page)
        end = found.start() if found else -1
    return end


def clean_text(text: str, drop: Iterable[str] = (), tex: bool = True) -> str:
    """Plain text for a description: the read-more words (``drop``) and,
    with ``tex``, raw TeX gone. Inline math without commands (``$x_i$``)
    keeps its TeX without delimiters; other math is dropped; a formula cut
    short (by a theme's truncation) is cut off with an ellipsis."""
    for words in drop:
        if words:
            text = text.replace(words, " ")
    if tex and ("$" in text or "\\" in text):
        parts: list[str] = []
        last = 0
        for kind, start, end in equations.scan_html(text):
            parts.append(text[last:start])
            last = end
            if kind == "unclosed":  # a formula cut short: the text ends here
                parts[-1] = parts[-1].rstrip()
                parts.append("…")
                last = len(text)
                break
            parts.append(_as_text(kind, text[start:end]))
        parts.append(text[last:])
        text = "".join(parts)
        cut = _CUT_MATH.search(text)
        if cut:
            text = text[: cut.start()].rstrip() + "…"
    return _SPACES.sub(" ", text).strip()


def _as_text(kind: str, span: str) -> str:
    """A math span of a description as text: simple inline TeX stays."""
    if kind == "ref":
        return span
    width = 1 if span.startswith("$") else 2
    inner = span[width:-width]
    return inner.strip() if kind == "inline" and "\\" not in inner else " "


def read_more_words(summary: str) -> list[str]:
    """The text of the read-more link a summary ends with, as themes print it
    (tags stripped, entities resolved), and as it is in HTML."""
    found = _READ_MORE_LINK.findall(summary or "")
    words = set()
    for inner in found:
        plain = html.unescape(_TAG.sub("", inner)).strip()
        words.update({plain, inner.strip(), html.escape(plain, quote=False)})
    return sorted(words, key=len, reverse=True)


class _Words:
    """The read-more words, asked for once and only when needed."""

    def __init__(self, read_more: Callable[[], list[str]], tex: bool) -> None:
        self.read_more = read_more
        self.tex = tex
        self.words: list[str] | None = None

    def dirty(self, value: str) -> bool:
        if self.tex and ("$" in value or "\\" in value):
            return True
        return any(words in value for words in self.get())

    def get(self) -> list[str]:
        if self.words is None:
            self.words = [words for words in self.read_more() if words]
        return self.words


def clean_head(
    head: str, read_more: Callable[[], list[str]] = list, tex: bool = True
) -> str:
    """``head`` (a page's ``<head>``) with clean ``<meta>`` descriptions
    (description, og:, twitter:) and JSON-LD ``description`` values; the same
    text when they are clean.

    ``tex``: the page shows math, so TeX in a description is math (else a
    ``$`` there may come from code, and only the read-more words go).
    """
    if "description" not in head:
        return head
    words = _Words(read_more, tex)

    def meta(match: re.Match[str]) -> str:
        tag = match.group(0)
        content = _CONTENT_ATTRIBUTE.search(tag)
        if content is None:
            return tag
        double = content.group(2) is not None
        value = html.unescape(content.group(2) if double else content.group(3))
        if not words.dirty(value):
            return tag
        cleaned = clean_text(value, words.get(), words.tex)
        if cleaned == _SPACES.sub(" ", value).strip():
            return tag
        cleaned = html.escape(cleaned, quote=True)
        quote = '"' if double else "'"
        new = f"{content.group(1)}{quote}{cleaned}{quote}"
        return tag[: content.start()] + new + tag[content.end() :]

    head = _DESCRIPTION_META.sub(meta, head)
    if "ld+json" in head:
        head = _JSON_LD.sub(lambda match: _clean_json_ld(match, words), head)
    return head


def _clean_json_ld(match: re.Match[str], words: _Words) -> str:
    start, body, end = match.groups()
    if '"description"' not in body:
        return match.group(0)
    try:
        data = json.loads(body)
    except ValueError:
        return match.group(0)
    if not _clean_json_value(data, words):
        return match.group(0)
    text = json.dumps(data, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return start + text + end


def _clean_json_value(data: Any, words: _Words) -> bool:
    """Clean every ``description`` string in ``data`` in place; True if any
    changed."""
    changed = False
    items: Iterable[tuple[Any, Any]] = ()
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    for key, value in items:
        if key == "description" and isinstance(value, str):
            if words.dirty(value):
                cleaned = clean_text(html.unescape(value), words.get(), words.tex)
                if cleaned != _SPACES.sub(" ", value).strip():
                    data[key] = cleaned
                    changed = True
        elif isinstance(value, (dict, list)):
            changed = _clean_json_value(value, words) or changed
    return changed


# --- the local copy -------------------------------------------------------------


def local_source() -> Path | None:
    """The ``es5`` folder of the installed MathJax package, or None."""
    try:
        distribution = metadata.distribution(LOCAL_PACKAGE)
    except metadata.PackageNotFoundError:
        return None
    folder = Path(str(distribution.locate_file("mathjax/static/mathjax/es5")))
    return folder if (folder / LOCAL_COMPONENT).is_file() else None


def local_files(source: Path, patterns: Iterable[str] = LOCAL_FILES) -> list[Path]:
    """The files of ``patterns``, relative to ``source``."""
    files: list[Path] = []
    for pattern in patterns:
        files.extend(path.relative_to(source) for path in sorted(source.glob(pattern)))
    return files


def copy_local(
    source: Path, target: Path, patterns: Iterable[str] = LOCAL_FILES
) -> int:
    """Copy MathJax's files (``patterns``) from ``source`` into ``target``; how
    many were copied (a file already there with the same size is kept)."""
    copied = 0
    for relative in local_files(source, patterns):
        origin, destination = source / relative, target / relative
        if destination.is_symlink():
            destination.unlink()
        elif (
            destination.is_file()
            and destination.stat().st_size == origin.stat().st_size
        ):
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, destination)
        copied += 1
    return copied


# --- the Pelican glue -----------------------------------------------------------

STEP = "_sujianlin_page_step"  # the build's PageStep, in the shared context


class PageStep:
    """What the page step knows for one build: the configuration, and whether
    the local MathJax was copied yet."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.config = MathJaxConfig.from_settings(settings)
        self.output_path = Path(settings.get("OUTPUT_PATH", "output"))
        self.copied = False
        self.marked = 0  # times the page being rendered included the partial
        # With EQUATIONS_RENDER = "build" an article's has_math no longer
        # means its page needs MathJax: the page is scanned after typesetting,
        # and a page with typeset math links their stylesheet.
        self.trust_has_math = settings.get("EQUATIONS_RENDER", "browser") != "build"
        self.typeset_css = ""
        if not self.trust_has_math:
            folder = with_defaults(settings, DEFAULTS, CHECKS)["MATHJAX_LOCAL_PATH"]
            self.typeset_css = f"{folder.strip('/')}/{TYPESET_STYLESHEET}"

    def mark(self) -> str:
        """What ``sujianlin/mathjax.html`` writes: the place for MathJax."""
        self.marked += 1
        return MARKER

    def finish(self, pieces: list[str], context: Mapping[str, Any]) -> str:
        """The page Jinja rendered in ``pieces`` (with ``context``), finished
        (:func:`plan_page`)."""
        page = "".join(pieces)
        # EQUATIONS_RENDER = "build": pelican_sujianlin.typeset has already
        # typeset what the templates printed (content and summaries), so the
        # scan below finds no raw math there and adds no script for it.
        siteurl = str(context.get("SITEURL") or "")
        content = context.get("article") or context.get("page")
        shows_math = self.trust_has_math and bool(getattr(content, "has_math", 0))
        head_extra = ""
        if self.typeset_css and _TYPESET in page:
            href = html.escape(f"{siteurl}/{self.typeset_css}")
            head_extra = f'<link rel="stylesheet" href="{href}">\n'
        edits, loaded = plan_page(
            page,
            self.config,
            siteurl,
            lambda: _words(content),
            shows_math=shows_math,
            marked=self.marked,
            head_extra=head_extra,
        )
        self.marked = 0
        if loaded and self.config.local_path and not self.copied:
            self.copy()
        if not edits:
            return page
        del page  # the edited page is joined from the pieces: one copy alive
        return join_edited(pieces, edits)

    def copy(self) -> None:
        self.copied = True
        source = local_source()
        if source is None:
            logger.warning(
                'MATHJAX_URL = "local" needs the %s package (pip install'
                ' "pelican-sujianlin[mathjax]"); pages point at %s/%s, which'
                " stays empty",
                LOCAL_PACKAGE,
                self.config.local_path,
                LOCAL_COMPONENT,
            )
            return
        copy_local(source, self.output_path / self.config.local_path)


def _words(content: Any) -> list[str]:
    """The read-more words of the summary of the page's article or page."""
    summary = getattr(content, "summary", None) if content is not None else None
    return read_more_words(summary) if isinstance(summary, str) else []


def _finishing_class(base: type) -> type:
    """``base`` (a Jinja template class) whose ``render()`` finishes pages."""

    class PageTemplate(base):
        sujianlin_page_step = True

        def render(self, *args: Any, **kwargs: Any) -> str:
            context = args[0] if args and isinstance(args[0], Mapping) else kwargs
            step = context.get(STEP)
            if step is None:
                return super().render(*args, **kwargs)
            step.marked = 0
            return step.finish(list(self.generate(*args, **kwargs)), context)

    return PageTemplate


def add_page_step(generator: Any) -> None:
    """``generator_init``: pages rendered by this generator get finished."""
    env = getattr(generator, "env", None)
    context = getattr(generator, "context", None)
    if env is None or context is None:
        return
    if STEP not in context:
        context[STEP] = PageStep(generator.settings)
    if not getattr(env.template_class, "sujianlin_page_step", False):
        env.template_class = _finishing_class(env.template_class)


def configure(pelican: Any) -> None:
    """``initialized``: this module's setting defaults."""
    for name, value in DEFAULTS.items():
        pelican.settings.setdefault(name, value)


def connect() -> None:
    """Connect the page step to Pelican's signals (from ``equations``: this
    module is part of that plugin, not a plugin of its own)."""
    signals.initialized.connect(configure)
    signals.generator_init.connect(add_page_step)
