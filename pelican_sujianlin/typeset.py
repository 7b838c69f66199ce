"""Typeset math at build time with MathJax itself: ``EQUATIONS_RENDER = "build"``.

Every formula the ``equations`` plugin recognises (the spans of
:func:`pelican_sujianlin.equations.scan_html`, after numbering and
cross-article references) is replaced by what MathJax 3 draws for it in the
browser: an ``<mjx-container>`` holding MathJax's CommonHTML (``aria-hidden``)
and its assistive MathML (read by screen readers). The CommonHTML is drawn by
one stylesheet for the whole site and MathJax's woff fonts, written once into
``MATHJAX_LOCAL_PATH`` of the output; the equations plugin's page step links
the stylesheet from every page showing typeset math. MathJax runs inside
Python, in an embedded V8 (``mini-racer``), from the es5 components of the
``django-static-mathjax`` package: ``pip install "pelican-sujianlin[build-math]"``.
A page whose math is all typeset loads no MathJax (``has_math`` is False);
feeds get the MathML alone (feed readers show MathML, not a site's styles).

Typeset formulas are kept by content (TeX, display mode, MathJax's version and
this module's options) in ``CACHE_PATH``: a rebuild typesets only formulas it
has not seen, each formula once however often the site repeats it, on every
core (a process pool, each worker with its own V8) with a progress bar.

Signals (the ``equations`` plugin connects small receivers to them that import
this module only for a build with ``EQUATIONS_RENDER = "build"``; it reads
the settings):

- ``initialized``: ``"build"`` without the extra installed warns and keeps
  MathJax in the browser;
- ``all_generators_finalized``: typeset, in a batch, every formula of every
  article and page not in the cache (numbering, cross-article references and
  the content cache are done by then), and give each its own
  ``get_content``/``get_summary`` that typeset the HTML Pelican makes,
  from the cache, when a writer asks for it. ``_content`` stays TeX, so
  summaries (``read_more``'s, cut at this same signal or later in an order
  blinker does not fix, or Pelican's) are cut from TeX, as in the browser
  mode; file comments (``article.comments``) get their bodies' math typeset
  the same way when their page shows them, links made safe;
- ``article_generator_write_article``, ``page_generator_write_page``: the
  first page is written, so the feeds are done (Pelican writes them first):
  until then ``get_content``/``get_summary`` give formulas as MathML;
- ``feed_generated``: any typeset formula left in feed items becomes MathML;
- ``finalized``: the stylesheet and fonts are written into the output (if a
  page showed typeset math), the formula cache is saved.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import json
import logging
import operator
import os
import re
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pelican_sujianlin import equations, math_markdown, mathjax
from pelican_sujianlin.cache import load_state, save_state, source_digest
from pelican_sujianlin.contents import (
    ARTICLE_LISTS,
    PAGE_LISTS,
    contents_of,
    join_url,
)
from pelican_sujianlin.equations import scan_html
from pelican_sujianlin.settings import with_defaults

logger = logging.getLogger(__name__)

#: The MathJax components the driver loads, in the order they are needed.
COMPONENTS = (
    "core",
    "input/tex-full",
    "output/chtml",
    "output/chtml/fonts/tex",
    "adaptors/liteDOM",
    "a11y/assistive-mml",
)
DRIVER = Path(__file__).with_name("typeset.js")
CACHE_FILE = "sujianlin-typeset.pickle"
#: Raise when the HTML written around MathJax's output changes.
OUTPUT_FORMAT = "3"
BATCH = 64  # formulas per call into V8, and per task of the pool
POOL_THRESHOLD = 2 * BATCH  # fewer new formulas are typeset in this process

#: Where the fonts are, from the stylesheet (the path of MathJax's package,
#: so that a ``MATHJAX_URL = "local"`` copy shares them).
FONT_FOLDER = "output/chtml/fonts/woff-v2"
# After MathJax's rules: the assistive MathML stays selectable (the glyphs
# of CommonHTML are drawn by CSS, which a selection does not copy).
_SELECTABLE = (
    "\nmjx-assistive-mml { user-select: text !important; "
    "-webkit-user-select: text !important; }\n"
)
_ERROR = re.compile(r'data-mjx-error="([^"]*)"')
_UNDEFINED = re.compile(r'<mtext mathcolor="red">(\\[^<]*)</mtext>')
_CONTAINER_SPAN = re.compile(r"<mjx-container\b.*?</mjx-container>", re.S)


class Typeset(NamedTuple):
    """One formula's HTML (None: MathJax failed; the TeX stays for the
    browser) and MathJax's error text if it showed one."""

    html: str | None
    error: str | None


Lookup = Callable[[str, bool], Typeset]
Formula = tuple[str, bool, int, int]  # TeX, display, start, end in the HTML


# --- the pure part --------------------------------------------------------------


def formula_tex(span: str, kind: str) -> str:
    """The TeX MathJax reads from one math span of HTML: unescaped, without
    its ``$``/``$$``/``\\(``/``\\[`` delimiters (environments keep theirs)."""
    tex = html.unescape(span) if "&" in span else span
    if kind == "inline":
        width = 1 if tex.startswith("$") else 2
    elif tex.startswith(("$$", "\\[")):
        width = 2
    else:
        return tex
    return tex[width:-width]


def find_formulas(text: str) -> list[Formula]:
    """The formulas of HTML: ``(tex, display, start, end)``, in order.

    Spans inside MathJax output already written (a summary cut from typeset
    HTML) are not formulas.
    """
    if "$" not in text and "\\" not in text:
        return []
    done = (
        [m.span() for m in _CONTAINER_SPAN.finditer(text)]
        if ("<mjx-container" in text)
        else []
    )
    formulas = []
    for kind, start, end in scan_html(text):
        if kind not in ("inline", "display") or any(a <= start < b for a, b in done):
            continue  # references, unclosed openers, typeset math
        display = kind == "display"
        formulas.append((formula_tex(text[start:end], kind), display, start, end))
    return formulas


def places_of(formulas: list[Formula]) -> array:
    """Where ``formulas`` are: ``start, end, display`` of each, flat."""
    return array("q", [n for _, display, *span in formulas for n in (*span, display)])


def formulas_at(text: str, places: array) -> list[Formula]:
    """The formulas of ``text`` at ``places`` (:func:`places_of`)."""
    formulas = []
    for index in range(0, len(places), 3):
        start, end, display = places[index : index + 3]
        kind = "display" if display else "inline"
        tex = formula_tex(text[start:end], kind)
        formulas.append((tex, bool(display), start, end))
    return formulas


def text_key(text: str) -> bytes:
    """A digest of ``text`` (the key of its formulas' places)."""
    data = text.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()


def typeset_html(
    text: str, lookup: Lookup, formulas: list | None = None
) -> tuple[str, bool, list[tuple[str, str]]]:
    """``text`` with its formulas typeset by ``lookup``.

    ``formulas``: those :func:`find_formulas` found in ``text``, if known.

    Returns the new HTML, whether raw math remains (a formula MathJax could
    not typeset here: the browser's MathJax gets it), and the
    ``(tex, error)`` pairs of formulas MathJax drew as errors.
    """
    if formulas is None:
        formulas = find_formulas(text)
    if not formulas:
        return text, False, []
    parts: list[str] = []
    last = 0
    remains = False
    errors: list[tuple[str, str]] = []
    for tex, display, start, end in formulas:
        result = lookup(tex, display)
        parts.append(text[last:start])
        last = end
        if result.html is None:
            parts.append(text[start:end])
            remains = True
        else:
            parts.append(result.html)
        if result.error:
            errors.append((tex, result.error))
    parts.append(text[last:])
    return "".join(parts), remains, errors


def finish_output(output: str) -> Typeset:
    """MathJax's output for one formula and the error it shows (an
    ``merror``, an undefined macro in red)."""
    error = _ERROR.search(output)
    message = html.unescape(error.group(1)) if error else None
    if message is None and (undefined := _UNDEFINED.search(output)):
        message = f"Undefined control sequence {html.unescape(undefined.group(1))}"
    return Typeset(output, message)


def feed_math(text: str, url: str) -> str:
    """Typeset formulas of a feed item as their MathML alone; fragment links
    inside them point into ``url`` (the item's page)."""
    parts: list[str] = []
    last = 0
    while (start := text.find("<mjx-container", last)) >= 0:
        end = text.find("</mjx-container>", start)
        if end < 0:
            break
        parts.append(text[last:start])
        last = end + len("</mjx-container>")
        parts.append(mathml_of(text[start:last], url))
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def mathml_of(typeset_html: str, url: str) -> str:
    """The MathML of one typeset formula, its fragment links into ``url``."""
    start = typeset_html.find("<math")
    end = typeset_html.rfind("</math>")
    if start < 0 or end < 0:
        return typeset_html
    mathml = typeset_html[start : end + len("</math>")]
    return mathml.replace('href="#', f'href="{url}#') if 'href="#' in mathml else mathml


def options_digest() -> str:
    """What a cached formula depends on beside its TeX: MathJax's version,
    the driver's configuration and the HTML written around the output."""
    from importlib.metadata import version

    digest = hashlib.sha256(DRIVER.read_bytes())
    digest.update(f"{version('django-static-mathjax')}/{OUTPUT_FORMAT}".encode())
    return digest.hexdigest()[:16]


def scanner_digest() -> str:
    """What the places of formulas in a text depend on: the code finding them."""
    return source_digest(modules=[equations, math_markdown, sys.modules[__name__]])


def formula_key(tex: str, display: bool) -> str:
    """The cache key of one formula (the options are the cache file's)."""
    return ("D" if display else "I") + tex


class FormulaCache:
    """Typeset formulas by key, loaded from and saved to one file, and
    where the formulas are in the articles' HTML (by a digest of the HTML).

    The file is tagged with :func:`options_digest`: another MathJax version
    or configuration starts an empty cache; the places are kept while the
    code finding them (``scanner``, :func:`scanner_digest`) is the same.
    Formulas and texts no build asked for are dropped when it is saved.
    """

    def __init__(self, path: Path | None, digest: str, scanner: str = "") -> None:
        self.path = path
        self.digest = digest
        self.scanner = scanner
        self.entries: dict[str, Typeset] = {}
        self.stylesheet = ""  # MathJax's, for every page typeset here
        self.places: dict[bytes, array] = {}
        self.used: set[str] = set()
        self.texts_used: set[bytes] = set()
        self.added = 0
        if path is not None:
            state = load_state(path, digest)
            if isinstance(state, tuple) and len(state) in (2, 4):
                self.entries, self.stylesheet = state[:2]
                if len(state) == 4 and state[2] == scanner:
                    self.places = state[3]

    def find(self, text: str) -> list[Formula]:
        """:func:`find_formulas` of ``text``, from the places found in the
        same text before when there are (hashing is cheaper than the scan)."""
        key = text_key(text)
        self.texts_used.add(key)
        places = self.places.get(key)
        if places is None:
            formulas = find_formulas(text)
            self.places[key] = places_of(formulas)
            self.added += 1
            return formulas
        return formulas_at(text, places)

    def get(self, key: str) -> Typeset | None:
        found = self.entries.get(key)
        if found is not None:
            self.used.add(key)
        return found

    def put(self, key: str, value: Typeset) -> None:
        self.entries[key] = value
        self.used.add(key)
        self.added += 1

    def save(self) -> None:
        stale = len(self.entries) - len(self.used)
        stale += len(self.places) - len(self.texts_used)
        if self.path is None or (not self.added and not stale):
            return
        kept = {key: self.entries[key] for key in self.used if key in self.entries}
        places = {k: self.places[k] for k in self.texts_used if k in self.places}
        state = (kept, self.stylesheet, self.scanner, places)
        save_state(self.path, self.digest, state)


# --- MathJax in V8 ----------------------------------------------------------------


class Engine:
    """MathJax 3's CommonHTML output in a V8 context of its own."""

    started = False  # whether this process has run V8

    def __init__(self) -> None:
        Engine.started = True
        import mathjax
        from py_mini_racer import MiniRacer

        es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
        sources = {name: (es5 / f"{name}.js").read_text("utf-8") for name in COMPONENTS}
        self.context = MiniRacer()
        self.context.eval(f"var COMPONENTS = {json.dumps(sources)};")
        self.context.eval(f"var FONT_URL = {json.dumps(FONT_FOLDER)};")
        self.context.eval(DRIVER.read_text("utf-8"))
        self.context.eval((es5 / "startup.js").read_text("utf-8"))
        self._wait_for_startup()

    def _wait_for_startup(self, seconds: float = 60) -> None:
        """Poll MathJax's startup promise (``JSPromise.get`` refuses to run
        under a running asyncio loop, such as Playwright's sync API)."""
        self.context.eval(
            "var READY = false; MathJax.startup.promise.then("
            "function () { READY = true; }, function (e) { READY = String(e); });"
        )
        deadline = time.monotonic() + seconds
        while (ready := self.context.eval("READY")) is False:
            if time.monotonic() > deadline:
                raise RuntimeError("MathJax did not start in V8")
            time.sleep(0.001)
        if ready is not True:
            raise RuntimeError(f"MathJax did not start in V8: {ready}")

    def typeset(self, formulas: list[tuple[str, bool]]) -> list[Typeset]:
        """Each ``(tex, display)`` formula's typeset HTML (or MathJax's failure)."""
        answer = json.loads(self.context.call("typesetBatch", json.dumps(formulas)))
        return [
            Typeset(None, failure) if output is None else finish_output(output)
            for output, failure in answer
        ]

    def stylesheet(self) -> str:
        """The stylesheet of every typeset page: MathJax's (every glyph of
        its TeX fonts, loaded from :data:`FONT_FOLDER` beside it)."""
        return self.context.call("styleSheet") + _SELECTABLE


_worker_engine: Engine | None = None


def _start_worker() -> None:
    global _worker_engine
    _worker_engine = Engine()


def _typeset_in_worker(formulas: list[tuple[str, bool]]) -> list[Typeset]:
    return _worker_engine.typeset(formulas)


def batches(items: list, size: int) -> list[list]:
    return [items[index : index + size] for index in range(0, len(items), size)]


def typeset_formulas(
    formulas: list[tuple[str, bool]],
    processes: int,
    engine: Callable[[], Engine],
    advance: Callable[[int], None] = lambda count: None,
) -> Iterable[tuple[tuple[str, bool], Typeset]]:
    """Typeset ``formulas``: in this process (``engine()``) when few, else in
    a pool of ``processes`` workers; ``advance(n)`` after each batch."""
    chunks = batches(formulas, BATCH)
    done = 0
    if processes > 1 and len(formulas) >= POOL_THRESHOLD:
        # imported here: browser-mode builds never load the pool machinery
        from concurrent.futures.process import BrokenProcessPool

        try:
            for chunk, results in _in_pool(chunks, processes):
                yield from zip(chunk, results, strict=True)
                advance(len(chunk))
                done += 1
        except (BrokenProcessPool, OSError, RuntimeError) as error:
            # e.g. spawn from a script without a __main__ guard
            logger.info("typeset: no worker processes (%s): typesetting here", error)
    for chunk in chunks[done:]:
        results = engine().typeset(chunk)
        yield from zip(chunk, results, strict=True)
        advance(len(chunk))


def _in_pool(chunks: list[list], processes: int) -> Iterable[tuple[list, list]]:
    """Each chunk with its results, typeset by a pool of V8 workers.

    Workers are forked while this process has never started V8 (a fork of a
    process running V8's threads is not safe), spawned otherwise.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "spawn" if Engine.started else "fork"
    with ProcessPoolExecutor(
        max_workers=min(processes, len(chunks)),
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
    ) as pool:
        yield from zip(chunks, pool.map(_typeset_in_worker, chunks), strict=True)


# --- the Pelican glue -------------------------------------------------------------


def extra_installed() -> bool:
    from importlib.util import find_spec

    return all(find_spec(name) for name in ("py_mini_racer", "mathjax"))


def configure(pelican) -> None:
    """``initialized``, by the equations plugin (which read the settings):
    ``"build"`` needs the extra installed."""
    settings = pelican.settings
    if settings["EQUATIONS_RENDER"] == "build" and not extra_installed():
        logger.warning(
            "typeset: EQUATIONS_RENDER = 'build' needs "
            'pip install "pelican-sujianlin[build-math]" (mini-racer, '
            "django-static-mathjax): MathJax stays in the browser"
        )
        settings["EQUATIONS_RENDER"] = "browser"


class SiteTypesetter:
    """One build's typesetting: the cache, and an engine started on demand."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        options = with_defaults(settings, equations.DEFAULTS, equations.CHECKS)
        cache_path = settings.get("CACHE_PATH")
        path = Path(cache_path) / CACHE_FILE if cache_path else None
        self.cache = FormulaCache(path, options_digest(), scanner_digest())
        self.mathml: dict[str, str] = {}  # each formula's, for feeds
        self.processes = options["TYPESET_PROCESSES"] or os.cpu_count() or 1
        self._engine: Engine | None = None
        self.warned: set[tuple[str, str]] = set()
        self.shown = False  # whether a page shows typeset math
        self.folder = with_defaults(settings, mathjax.DEFAULTS, mathjax.CHECKS)[
            "MATHJAX_LOCAL_PATH"
        ].strip("/")
        # Pelican writes the feeds before any page (ArticlesGenerator's
        # generate_output): until the first page, content goes to feeds.
        self.for_feeds = True

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine()
        return self._engine

    def prepare(self, found: Iterable[list]) -> None:
        """Typeset every formula (of :func:`find_formulas`) not in the cache."""
        missing: dict[str, tuple[str, bool]] = {}
        for formulas in found:
            for tex, display, _, _ in formulas:
                key = formula_key(tex, display)
                if key not in missing and self.cache.get(key) is None:
                    missing[key] = (tex, display)
        if missing:
            self._typeset(list(missing.values()))

    def _typeset(self, formulas: list[tuple[str, bool]]) -> None:
        from pelican.log import console
        from rich.progress import Progress

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Typesetting math", total=len(formulas))
            results = typeset_formulas(
                formulas,
                self.processes,
                self.engine,
                lambda count: progress.advance(task, count),
            )
            for (tex, display), result in results:
                self.cache.put(formula_key(tex, display), result)
        logger.info("typeset: %d new formulas", len(formulas))

    def stylesheet(self) -> str:
        """MathJax's stylesheet (from the cache, else from MathJax)."""
        if not self.cache.stylesheet:
            self.cache.stylesheet = self.engine().stylesheet()
            self.cache.added += 1
        return self.cache.stylesheet

    def write_files(self, output: Path) -> None:
        """The stylesheet and MathJax's fonts, once into the output (the
        pages' ``<link>`` is :class:`pelican_sujianlin.mathjax.PageStep`'s)."""
        if not self.shown:
            return
        target = output / self.folder
        target.mkdir(parents=True, exist_ok=True)
        sheet = target / mathjax.TYPESET_STYLESHEET
        text = self.stylesheet()
        if not sheet.is_file() or sheet.read_text("utf-8") != text:
            sheet.write_text(text, encoding="utf-8")
        source = mathjax.local_source()
        if source is not None:  # installed with the extra, as mini-racer is
            mathjax.copy_local(source, target, [f"{FONT_FOLDER}/*.woff"])

    def mathml_lookup(self, url: str | Callable[[], str]) -> Lookup:
        """A lookup giving each formula's MathML alone (for feeds), its
        fragment links into ``url`` (or what ``url()`` gives, asked only for
        a formula holding a link: joining URLs is not free)."""

        def lookup(tex: str, display: bool) -> Typeset:
            key = formula_key(tex, display)
            mathml = self.mathml.get(key)
            if mathml is None:
                found = self.lookup(tex, display)
                if found.html is None:
                    return found
                mathml = self.mathml[key] = mathml_of(found.html, "")
            if 'href="#' in mathml:
                page = url if isinstance(url, str) else url()
                mathml = mathml.replace('href="#', f'href="{page}#')
            return Typeset(mathml, None)

        return lookup

    def lookup(self, tex: str, display: bool) -> Typeset:
        key = formula_key(tex, display)
        found = self.cache.get(key)
        if found is None:
            (found,) = self.engine().typeset([(tex, display)])
            self.cache.put(key, found)
        return found

    def typeset(
        self, text: str, source: str, formulas: list | None = None
    ) -> tuple[str, bool]:
        """``text`` typeset; MathJax's errors are warnings naming ``source``."""
        new, remains, errors = typeset_html(text, self.lookup, formulas)
        self.shown = self.shown or new is not text
        self._warn(source, errors)
        return new, remains

    def check(self, formulas: list[Formula], source: str) -> bool:
        """Whether a formula of ``formulas`` stays TeX (MathJax failed on it);
        MathJax's errors are warnings naming ``source``. Nothing is joined."""
        remains = False
        errors = []
        for tex, display, _, _ in formulas:
            result = self.lookup(tex, display)
            if result.html is None:
                remains = True
            else:
                self.shown = True
            if result.error:
                errors.append((tex, result.error))
        self._warn(source, errors)
        return remains

    def _warn(self, source: str, errors: list[tuple[str, str]]) -> None:
        for tex, error in errors:
            if (source, tex) not in self.warned:
                self.warned.add((source, tex))
                logger.warning("typeset: %s: MathJax: %s in $%s$", source, error, tex)


class TypesetText:
    """``get_content`` or ``get_summary`` of a content object, typeset.

    Typesetting the HTML Pelican made (links resolved) leaves ``_content``
    TeX: summaries are cut from TeX whichever plugin cuts them and when, and
    Pelican's link resolution never runs over the larger typeset HTML. Each
    call costs a cache lookup per formula; no typeset HTML is kept.
    """

    __slots__ = (
        "content",
        "formulas",
        "last",
        "original",
        "paused",
        "pauses",
        "source",
        "typesetter",
    )

    def __init__(
        self,
        content: Any,
        original: Callable,
        typesetter,
        pauses: TypesetText | None = None,
    ) -> None:
        self.content = content
        self.original = original
        self.typesetter = typesetter
        # A summary pauses the content's wrapper while Pelican cuts it from
        # ``content`` (and memoizes it): the cut is made from TeX, as in the
        # browser mode, and the memo holds no feed's or page's typesetting.
        self.pauses = pauses
        self.paused = False
        # The last HTML typeset (Pelican's memoized string, not a copy) and
        # its formulas: a template asking again costs no scan.
        self.source: str | None = None
        self.formulas: list = []
        # A summary's last typeset page HTML: list pages (index, author,
        # category, tags) show the same summary again and again. Summaries
        # are short; a content's typeset HTML is not kept.
        self.last: str | None = None

    def __call__(self, siteurl: str | None = None) -> str:
        if self.paused:
            return self.original(siteurl)
        if self.pauses is None:
            text = self.original(siteurl)
        else:
            self.pauses.paused = True
            try:
                text = self.original(siteurl)
            finally:
                self.pauses.paused = False
        if not text:
            return text
        typesetter = self.typesetter
        if text is not self.source and text != self.source:
            self.source, self.formulas = text, typesetter.cache.find(text)
            self.last = None
        if not self.formulas:
            return text
        if typesetter.for_feeds:
            url = functools.partial(join_url, siteurl or "", self.content.url)
            lookup = typesetter.mathml_lookup(url)
            return typeset_html(text, lookup, self.formulas)[0]
        if self.last is not None:
            return self.last
        typeset = typesetter.typeset(text, self.content.source_path, self.formulas)[0]
        if self.pauses is not None:
            self.last = typeset
        return typeset


_UNSAFE_HREF = re.compile(r'href="(?!https?://|#)[^"]*"')


def safe_links(typeset_text: str) -> str:
    """Typeset untrusted math with every link but http(s) and fragments
    made inert (MathJax turns ``\\href{javascript:...}`` into a live link;
    the TeX allow-list of ``recent_comments`` should already have dropped it)."""
    return (
        _UNSAFE_HREF.sub('href="#"', typeset_text)
        if "href=" in typeset_text
        else (typeset_text)
    )


class TypesetComments(Sequence):
    """``article.comments`` (file comments) with each body's math typeset,
    links made safe; the thread is read when a page shows it, as before."""

    __slots__ = ("source", "thread", "typesetter")

    def __init__(self, thread: Sequence, typesetter, source: str) -> None:
        self.thread = thread
        self.typesetter = typesetter
        self.source = source

    def _typeset(self, comment: Any) -> Any:
        body, _ = self.typesetter.typeset(comment.body, self.source)
        replies = comment.replies and [self._typeset(r) for r in comment.replies]
        if body is comment.body and all(map(operator.is_, replies, comment.replies)):
            return comment  # no math in it: nothing to copy
        return dataclasses.replace(comment, body=safe_links(body), replies=replies)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._typeset(c) for c in self.thread[index]]
        return self._typeset(self.thread[index])

    def __len__(self) -> int:
        return len(self.thread)

    def __iter__(self) -> Iterator[Any]:
        return (self._typeset(comment) for comment in self.thread)

    def __bool__(self) -> bool:
        return bool(self.thread)


# The typesetter of each build in progress, by id of its settings (Pelican
# hands its generators the settings dict it has).
_building: dict[int, SiteTypesetter] = {}


def typeset_site(generators: list) -> None:
    """``all_generators_finalized``: typeset every article and page."""
    if not generators:
        return
    settings = generators[0].settings
    if settings.get("EQUATIONS_RENDER") != "build":
        return
    contents = [
        content
        for generator in generators
        for content in contents_of(generator, ARTICLE_LISTS + PAGE_LISTS)
        if isinstance(getattr(content, "_content", None), str)
    ]
    typesetter = SiteTypesetter(settings)
    found = [typesetter.cache.find(content._content) for content in contents]
    typesetter.prepare([*found, *map(find_formulas, _summaries(contents))])
    for content, formulas in zip(contents, found, strict=True):
        if formulas:
            remains = typesetter.check(formulas, content.source_path)
            if getattr(content, "has_math", False):
                content.has_math = remains
        if not isinstance(content.get_content, TypesetText):
            body = TypesetText(content, content.get_content, typesetter)
            # Pelican's links resolved, the content is mostly ``_content``
            # again: its formulas are known.
            body.source, body.formulas = content._content, formulas
            content.get_content = body
            summary = TypesetText(content, content.get_summary, typesetter, body)
            content.get_summary = summary
        thread = getattr(content, "comments", None)
        if thread and not isinstance(thread, TypesetComments):
            content.comments = TypesetComments(thread, typesetter, content.source_path)
    # Saved when the pages are written: summaries hold formulas of their own
    # (a reference inside math links to the article's absolute URL there).
    _building[id(settings)] = typesetter


def pages_begin(generator, content=None) -> None:
    """``article_generator_write_article``, ``page_generator_write_page``:
    the feeds are written; typeset math is CommonHTML from now on."""
    typesetter = _building.get(id(generator.settings))
    if typesetter is not None:
        typesetter.for_feeds = False


def finish_build(pelican) -> None:
    """``finalized``: write the stylesheet and fonts into the output; keep
    what this build typeset (summaries' formulas too)."""
    typesetter = _building.pop(id(pelican.settings), None)
    if typesetter is not None:
        typesetter.write_files(Path(pelican.settings["OUTPUT_PATH"]))
        typesetter.cache.save()


def _summaries(contents: list) -> Iterable[str]:
    """The authors' ``Summary:`` texts (cut summaries come from ``_content``)."""
    for content in contents:
        summary = content.metadata.get("summary")
        if isinstance(summary, str):
            yield summary


def feed_items_math(context, feed) -> None:
    """``feed_generated``: typeset math in feed items becomes MathML."""
    for item in feed.items:
        url = str(item.get("link", "")).split("?", 1)[0]
        for key in ("description", "content"):
            value = item.get(key)
            if value and "<mjx-container" in value:
                item[key] = feed_math(value, url)
