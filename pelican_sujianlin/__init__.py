"""pelican-sujianlin: the features of a Scientific Spaces-style mathematical blog.

``PLUGINS = ["pelican_sujianlin"]`` enables every plugin of the bundle;
``PLUGINS = ["pelican_sujianlin.series"]`` (or any other module below) enables
one alone. Each plugin module has its own ``register()``; this one calls them
all. Plugins are imported only when registered, so enabling one alone does not
load the others (nor what they depend on: nh3, sqlite3...).

Together the plugins give an article more attribute names than CPython's
shared key table holds. When an article is written
(``article_generator_write_article``) its attributes are complete, and its
dict is rebuilt at the size they need. When every generator is finalized
(``all_generators_finalized``), the URL and output path of every article and
page are kept as computed then, instead of being computed at every read. Each
generator's Jinja environment (``generator_init``) loads a template file once
per build instead of checking its modification time at every include (unless
``JINJA_ENVIRONMENT`` sets ``auto_reload``): a build is made with the theme as
it was when the build started, and the next build makes new environments.
With Pelican's content cache on, those environments keep their compiled
templates in ``CACHE_PATH`` (:func:`~pelican_sujianlin.theme.cache_compiled_templates`).
"""

from importlib import import_module
from typing import Any

from pelican import signals
from pelican.contents import Content

from pelican_sujianlin.contents import (
    ARTICLE_LISTS,
    PAGE_LISTS,
    compact_attributes,
    contents_of,
    pin_urls,
)
from pelican_sujianlin.theme import cache_compiled_templates

PLUGIN_NAMES = (
    "equations",
    "read_more",
    "series",
    "reader_count",
    "recent_comments",
    "citation",
)


def register() -> None:
    """Register every plugin of the bundle with Pelican's signals."""
    for name in PLUGIN_NAMES:
        import_module(f"{__name__}.{name}").register()
    signals.generator_init.connect(load_templates_once)
    signals.generator_init.connect(cache_compiled_templates)
    signals.all_generators_finalized.connect(pin_all_urls)
    signals.article_generator_write_article.connect(compact_written_article)


def load_templates_once(generator: Any) -> None:
    """Jinja checks a template file's modification time each time a page
    includes it (tens of thousands of times per build of a large site)."""
    environment = getattr(generator, "env", None)
    if environment is None:
        return
    if "auto_reload" not in (generator.settings.get("JINJA_ENVIRONMENT") or {}):
        environment.auto_reload = False


def pin_all_urls(generators: list[Any]) -> None:
    """The writers come next: nothing changes a URL any more."""
    for generator in generators:
        for content in contents_of(generator, ARTICLE_LISTS + PAGE_LISTS):
            if isinstance(content, Content):
                pin_urls(content)


def compact_written_article(generator: Any, content: Any) -> None:
    """Index, tag and author pages come later and hold every article."""
    compact_attributes(content)
