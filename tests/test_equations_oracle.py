"""MathJax 3 as the oracle of the equation numbering.

Each file of ``tests/equations_corpus/`` is an article. It is read twice in
one headless Chromium with the MathJax 3 of ``node_modules/mathjax3``:

- **the bundle**: the site is built with ``EQUATIONS_NUMBERING = MODE`` and
  MathJax (``tags: 'none'``) only draws the ``\\tag{N}`` written at build time;
- **the oracle**: no plugin at all. The article's source, as written (its
  paragraphs, HTML-escaped, nothing else), is numbered by MathJax itself with
  ``tags: MODE``.

For every article the tags drawn (read from MathJax's internal MathML,
``mlabeledtr``, row by row, display by display) and the text of every
reference (in document order) must be equal in both, in the modes ``ams``,
``all`` and ``none``. The assertion is the same for every file: a new corner
is one new file. The differences the bundle makes on purpose are the rules
of :data:`DELIBERATE` below, each with its reason.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import BASE_SETTINGS, run_pelican, serve_folder
from test_equations_browser import mathjax3_folder

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).parent / "equations_corpus"
MODES = ("ams", "all", "none")

#: The differences the bundle makes on purpose, applied by :func:`expected`.
DELIBERATE = {
    "unresolved": "MathJax writes a reference it cannot resolve as (???); the "
    "bundle writes (??) and warns with the file and line",
    "cross-article": "\\eqref{SLUG/label} points into another article: MathJax, "
    "seeing one page, shows (???); the bundle links to that equation's number",
    "error": "an equation MathJax refuses (two \\label, two \\tag, a label "
    "defined twice) is drawn by MathJax as an error box, and its numbering "
    "stops wherever the error was thrown; the bundle draws the equation, warns "
    "with MathJax's message, and the comparison stops at that display",
}

# Reads one article's math after MathJax typeset it: per display, the tag of
# every row of each tagged table ("" for an untagged row); every reference
# (outside tags) with its text and href; MathJax's error messages.
READ = """
async (ids) => {
  const result = {};
  const refOf = (node) => node.getAttribute('href') !== null;
  const text = (node) => node.textContent.replace(/\\s+/g, '');
  for (const id of ids) {
    const root = document.getElementById(id);
    MathJax.texReset();
    await MathJax.typesetPromise([root]);
    const items = new Map();
    for (const item of MathJax.startup.document.getMathItemsWithin(root)) {
      items.set(item.typesetRoot, item);
    }
    const displays = [], refs = [], errors = [];
    const nodes = root.querySelectorAll('a.eqref, span.eqref-missing, mjx-container');
    for (const node of nodes) {
      if (node.tagName !== 'MJX-CONTAINER') {
        if (!node.closest('mjx-container')) {
          refs.push([text(node), node.getAttribute('href') || '']);
        }
        continue;
      }
      const item = items.get(node);
      const mml = MathJax.startup.toMML(item.root);
      const xml = new DOMParser().parseFromString(mml, 'text/xml');
      for (const error of xml.getElementsByTagName('merror')) {
        errors.push(error.getAttribute('data-mjx-error') || text(error));
      }
      const inTag = (n) => {
        for (let p = n; p; p = p.parentElement) {
          if (p.parentElement && p.parentElement.tagName === 'mlabeledtr'
              && p === p.parentElement.firstElementChild) return true;
        }
        return false;
      };
      // a reference: a link (MathJax's, or the bundle's \\href), or the
      // bundle's unresolved "(??)"; not one inside a tag or another reference
      for (const ref of xml.querySelectorAll('[href], mtext')) {
        const missing = /^\\(?\\?\\?\\)?$/;
        if (ref.tagName === 'mtext' && !missing.test(text(ref))) continue;
        const outer = ref.parentElement && ref.parentElement.closest('[href]');
        if (inTag(ref) || outer) continue;
        refs.push([text(ref), ref.getAttribute('href') || '']);
      }
      if (!item.display) continue;
      const tables = [];
      for (const table of xml.getElementsByTagName('mtable')) {
        const rows = Array.from(table.children).filter(
          (row) => row.tagName === 'mtr' || row.tagName === 'mlabeledtr');
        if (!rows.some((row) => row.tagName === 'mlabeledtr')) continue;
        tables.push(rows.map((row) =>
          row.tagName === 'mlabeledtr' ? text(row.firstElementChild) : ''));
      }
      displays.push({tables, error: xml.getElementsByTagName('merror').length > 0});
    }
    result[id] = {displays, refs, errors};
  }
  return result;
}
"""


def page_html(articles: dict[str, str], tags: str) -> str:
    """One page holding every article's HTML, MathJax 3 numbering with ``tags``."""
    config = {
        "startup": {"typeset": False},
        "tex": {
            "inlineMath": [["$", "$"], ["\\(", "\\)"]],
            "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
            "processEscapes": True,
            "processEnvironments": True,
            "tags": tags,
        },
    }
    bodies = "\n".join(
        f'<article id="{html.escape(name)}">\n{body}\n</article>'
        for name, body in articles.items()
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<script>window.MathJax = {json.dumps(config)};</script>"
        '<script src="/mathjax3/es5/tex-mml-chtml.js"></script>'
        f"</head><body>{bodies}</body></html>"
    )


FENCE = re.compile(r"(?ms)^(```|~~~).*?^\1[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def source_body(source: str) -> str:
    """An article's text as written, for the oracle: each paragraph a ``<p>``
    of the source, HTML-escaped; code (spans and fenced blocks) in ``<code>``
    and ``<pre>``, which MathJax skips as it does on a rendered page; HTML
    comments dropped; footnotes moved to the end."""
    _, _, body = source.partition("\n\n")
    body = re.sub(r"(?s)<!--.*?-->", "", body)
    blocks = []
    last = 0
    for fence in FENCE.finditer(body):
        blocks.extend(_paragraphs(body[last : fence.start()]))
        blocks.append(f"<pre>{html.escape(fence.group(), quote=False)}</pre>")
        last = fence.end()
    blocks.extend(_paragraphs(body[last:]))
    return "\n".join(blocks)


def _paragraphs(text: str) -> list[str]:
    paragraphs = re.split(r"\n[ \t]*\n", text.strip())
    # footnotes end the page, as Markdown writes them
    paragraphs.sort(key=lambda p: p.startswith("[^"))
    return [
        "<p>" + CODE_SPAN.sub(r"<code>\2</code>", html.escape(p, quote=False)) + "</p>"
        for p in paragraphs
        if p.strip()
    ]


def read_pages(pages: dict[str, tuple[str, list[str]]], folder: Path, browser):
    """``{page name: (html, article ids)}`` -> ``{page name: {id: reading}}``."""
    for name, (text, _) in pages.items():
        (folder / f"{name}.html").write_text(text, encoding="utf-8")
    readings = {}
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        with serve_folder(folder, {"/mathjax3": mathjax3_folder()}) as base:
            for name, (_, ids) in pages.items():
                page.goto(f"{base}/{name}.html")
                page.wait_for_function("() => window.MathJax?.startup?.promise")
                page.evaluate("() => MathJax.startup.promise")
                readings[name] = page.evaluate(READ, ids)
    finally:
        context.close()
    assert errors == []
    return readings


ARTICLE_TEMPLATE = "<!--article-->{{ article.content }}<!--/article-->"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.md"))


def build_bundle(mode: str, folder: Path) -> tuple[dict[str, str], list[str]]:
    """The corpus built with the equations plugin: ``{stem: content}``, warnings."""
    templates = folder / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "article.html").write_text(ARTICLE_TEMPLATE, encoding="utf-8")
    settings = {
        **BASE_SETTINGS,
        "PATH": str(CORPUS),
        "OUTPUT_PATH": str(folder / "output"),
        "CACHE_PATH": str(folder / "cache"),
        "PLUGINS": ["pelican_sujianlin.equations"],
        "THEME_TEMPLATES_OVERRIDES": [str(templates)],
        "SLUGIFY_SOURCE": "basename",  # a file without Slug: is its name
        "ARTICLE_URL": "{slug}.html",
        "ARTICLE_SAVE_AS": "{slug}.html",
        "EQUATIONS_NUMBERING": mode,
    }
    warnings = run_pelican(settings)
    contents = {}
    for path in corpus_files():
        slug = re.search(r"(?mi)^Slug:\s*(\S+)", path.read_text(encoding="utf-8"))
        name = slug.group(1) if slug else path.stem
        written = (folder / "output" / f"{name}.html").read_text("utf-8")
        contents[path.stem] = written.split("<!--article-->")[1].split(
            "<!--/article-->"
        )[0]
    return contents, warnings


@pytest.fixture(scope="module")
def readings(browser, tmp_path_factory):
    """``{mode: (bundle readings, oracle readings, warnings by file stem)}``."""
    folder = tmp_path_factory.mktemp("oracle")
    sources = {p.stem: p.read_text(encoding="utf-8") for p in corpus_files()}
    oracle = {stem: source_body(text) for stem, text in sources.items()}
    pages = {}
    warnings_by_mode = {}
    for mode in MODES:
        contents, warnings = build_bundle(mode, folder / mode)
        warnings_by_mode[mode] = {
            stem: [w for w in warnings if f"/{stem}.md" in w] for stem in sources
        }
        pages[f"bundle-{mode}"] = (page_html(contents, "none"), list(contents))
        pages[f"oracle-{mode}"] = (page_html(oracle, mode), list(oracle))
    read = read_pages(pages, folder, browser)
    return {
        mode: (read[f"bundle-{mode}"], read[f"oracle-{mode}"], warnings_by_mode[mode])
        for mode in MODES
    }


def unresolved(drawn):
    """MathJax's "???" as the bundle writes it ("unresolved")."""
    return json.loads(json.dumps(drawn).replace("???", "??"))


def differences(oracle: dict, bundle: dict, warnings: list[str]) -> list[str]:
    """How the bundle's reading differs from MathJax's, :data:`DELIBERATE` aside."""
    found = []
    for error in oracle["errors"]:  # "error": the bundle warns with its words
        if not any(error.lower() in w.lower() for w in warnings):
            found.append(f"MathJax says {error!r}; the bundle did not warn so")
    for error in bundle["errors"]:
        if error not in oracle["errors"]:
            found.append(f"MathJax refuses the bundle's TeX: {error!r}")
    displays = oracle["displays"]
    cut = next((i for i, d in enumerate(displays) if d["error"]), len(displays))
    drawn = [unresolved(d["tables"]) for d in displays[:cut]]
    if [d["tables"] for d in bundle["displays"][:cut]] != drawn:
        found.append(
            f"tags: MathJax {drawn} != bundle "
            f"{[d['tables'] for d in bundle['displays'][:cut]]}"
        )
    if cut == len(displays) and len(bundle["displays"]) != len(displays):
        found.append(f"{len(bundle['displays'])} displays, MathJax {len(displays)}")
    if oracle["errors"]:
        return found
    expected = [unresolved(text) for text, _ in oracle["refs"]]
    written = [text for text, _ in bundle["refs"]]
    for index, (text, href) in enumerate(bundle["refs"][: len(expected)]):
        elsewhere = href and not href.startswith("#")
        if elsewhere and expected[index] in ("(??)", "??"):  # "cross-article"
            expected[index] = text
    if written != expected:
        found.append(f"references: MathJax {expected} != bundle {written}")
    return found


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", [p.stem for p in corpus_files()])
def test_bundle_numbers_as_mathjax(readings, mode, name):
    bundle, oracle, warnings = readings[mode]
    assert differences(oracle[name], bundle[name], warnings[name]) == []


def test_corpus_is_there():
    assert len(corpus_files()) >= 30
