"""The ``recent_comments`` plugin: comment threads and a recent-comments widget.

Signals: ``initialized`` (keeps ``COMMENTS_PATH`` out of articles, pages and
static files), ``generator_init`` (makes the bundle's partials includable).
"""

from __future__ import annotations

from pelican import signals

from pelican_sujianlin.theme import add_template_loader

DEFAULTS = {"COMMENTS_PATH": "comments"}


def exclude_comments_path(pelican) -> None:
    """Add ``COMMENTS_PATH`` to the article, page and static excludes, once."""
    settings = pelican.settings
    folder = str(settings.get("COMMENTS_PATH", DEFAULTS["COMMENTS_PATH"])).strip("/")
    if not folder:
        return
    for key in ("ARTICLE_EXCLUDES", "PAGE_EXCLUDES", "STATIC_EXCLUDES"):
        excludes = list(settings.get(key) or [])
        if folder not in excludes:
            settings[key] = [*excludes, folder]


def register() -> None:
    """Connect this plugin to Pelican's signals."""
    signals.initialized.connect(exclude_comments_path)
    signals.generator_init.connect(add_template_loader)
