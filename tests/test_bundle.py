"""The bundle as a whole: it loads, each plugin loads alone, and it is inert."""

import importlib
import pkgutil
import sys
from pathlib import Path

import pelican.tests
import pytest
from pelican import signals

import pelican_sujianlin

PELICAN_TEST_CONTENT = Path(pelican.tests.__file__).parent / "content"
PLUGIN_NAMES = [f"pelican_sujianlin.{name}" for name in pelican_sujianlin.PLUGIN_NAMES]

# Files of Pelican's test content that cannot share one build: .rst twins of
# .md/.html files with the same name, and one that asks for a missing template.
LEFT_OUT = (
    "article_with_metadata.rst",
    "article_with_multiple_authors.rst",
    "article_with_typogrify_dashes.rst",
    "article_with_uppercase_metadata.rst",
    "article_with_template.rst",
)

PLAIN_POST = """Title: A plain post
Date: 2024-03-01
Tags: misc

A post that uses none of the bundle's features, with *emphasis* and
[a link](https://example.org/).
"""


def test_register_covers_every_plugin_module():
    """Every module of the package that has a ``register()`` is in the bundle."""
    with_register = {
        f"pelican_sujianlin.{info.name}"
        for info in pkgutil.iter_modules(pelican_sujianlin.__path__)
        if hasattr(
            importlib.import_module(f"pelican_sujianlin.{info.name}"), "register"
        )
    }
    assert sorted(PLUGIN_NAMES) == sorted(with_register)
    assert len(PLUGIN_NAMES) == 6


@pytest.mark.parametrize("plugin", PLUGIN_NAMES)
def test_each_plugin_loads_alone(build_site, plugin):
    site = build_site({"plain.md": PLAIN_POST}, PLUGINS=[plugin])
    assert "A plain post" in site.read("a-plain-post.html")
    assert site.warnings == []


@pytest.mark.parametrize("theme", ["notmyidea", "simple"])
def test_partials_are_includable_from_builtin_themes(build_site, tmp_path, theme):
    """A one-file override of a built-in theme can include every partial."""
    partials = sorted(
        p.name
        for p in (
            Path(pelican_sujianlin.__file__).parent / "templates" / "sujianlin"
        ).glob("*.html")
    )
    includes = "".join(f'{{% include "sujianlin/{name}" %}}' for name in partials)
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "article.html").write_text(
        '{% extends "!theme/article.html" %}{% block content %}'
        "{{ super() }}<div id='partials'>" + includes + "</div>{% endblock %}",
        encoding="utf-8",
    )
    site = build_site(
        {"plain.md": PLAIN_POST},
        THEME=theme,
        THEME_TEMPLATES_OVERRIDES=[str(overrides)],
    )
    assert "<div id='partials'>" in site.read("a-plain-post.html")
    assert len(partials) >= 7


def test_bundle_is_inert_on_pelican_test_content(build_site):
    """Pelican's own test content uses none of the features: same bytes."""
    settings = {
        "DEFAULT_LANG": "en",
        "SITEURL": "",
        "DEFAULT_DATE": "fs",
        # Its files share titles: name outputs by file name and category.
        "ARTICLE_URL": "{slug}-{category}.html",
        "ARTICLE_SAVE_AS": "{slug}-{category}.html",
        "SLUGIFY_SOURCE": "basename",
        "IGNORE_FILES": [".#*", *LEFT_OUT],
    }
    plain = build_site(PELICAN_TEST_CONTENT, PLUGINS=[], **settings)
    bundled = build_site(PELICAN_TEST_CONTENT, **settings)
    plain_files, bundled_files = plain.files(), bundled.files()
    assert sorted(plain_files) == sorted(bundled_files)
    changed = [name for name in plain_files if plain_files[name] != bundled_files[name]]
    assert changed == []
    assert len(plain_files) > 20
    assert bundled.warnings == plain.warnings


@pytest.mark.parametrize("theme", ["notmyidea", "simple"])
def test_bundle_is_inert_with_builtin_themes(build_site, theme):
    content = {"plain.md": PLAIN_POST, "pages/about.md": "Title: About\n\nHello."}
    plain = build_site(content, PLUGINS=[], THEME=theme, DEFAULT_LANG="en")
    bundled = build_site(content, THEME=theme, DEFAULT_LANG="en")
    assert plain.files() == bundled.files()


def test_written_articles_keep_compact_attribute_dicts(build_site):
    """The bundle's attributes take articles past the names CPython shares per
    class; by the time list pages are written each article's dict is sized
    for what it holds, not for growth (about 1 KB less per article)."""
    sizes = {}

    def measure(generator, writer):
        for article in generator.articles:
            attributes = vars(article)
            sizes[article.slug] = (
                sys.getsizeof(attributes),
                sys.getsizeof(dict(attributes)),
            )

    posts = {
        f"post{number}.md": PLAIN_POST.replace("A plain post", f"Post {number}")
        for number in range(3)
    }
    signals.article_writer_finalized.connect(measure)
    try:
        build_site(posts)
    finally:
        signals.article_writer_finalized.disconnect(measure)
    assert len(sizes) == 3
    for slug, (size, copied) in sizes.items():
        assert size <= copied, slug


def test_pinned_urls_change_no_byte_of_the_output(build_site, tmp_path, monkeypatch):
    """URLs kept as computed when the writers start: the same site as when
    Pelican computes them at every read (a generated site with series,
    comments, counts and cross-article references, in one process)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import generate, run

    site = generate.generate(tmp_path / "site", articles=8, equations=3, comments=2)
    extra = {
        "THEME": "notmyidea",
        "THEME_TEMPLATES_OVERRIDES": [str(run.THEME_OVERRIDES)],
        "ARTICLE_URL": "{date:%Y}/{slug}/",
        "ARTICLE_SAVE_AS": "{date:%Y}/{slug}/index.html",
    }
    pinned = build_site(site.content, **extra)
    monkeypatch.setattr(pelican_sujianlin, "pin_urls", lambda content: None)
    computed = build_site(site.content, **extra)
    assert pinned.warnings == computed.warnings == []
    assert pinned.files() == computed.files()
    assert "2004/1000/index.html" in pinned.files()


def test_templates_are_read_once_per_build(build_site, monkeypatch):
    """Jinja does not check a template file's time at every include; a
    JINJA_ENVIRONMENT that asks for auto_reload keeps it."""
    import jinja2.loaders

    checks: list[str] = []
    getmtime = jinja2.loaders.os.path.getmtime

    def counting(path):
        checks.append(path)
        return getmtime(path)

    monkeypatch.setattr(jinja2.loaders.os.path, "getmtime", counting)
    posts = {f"p{n}.md": PLAIN_POST.replace("A plain post", f"P{n}") for n in range(4)}
    build_site(posts)
    read_once = len(checks)
    checks.clear()
    build_site(posts, JINJA_ENVIRONMENT={"auto_reload": True})
    assert len(checks) > 2 * read_once
