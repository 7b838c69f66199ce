"""pelican-sujianlin: the features of a Scientific Spaces-style mathematical blog.

``PLUGINS = ["pelican_sujianlin"]`` enables every plugin of the bundle;
``PLUGINS = ["pelican_sujianlin.series"]`` (or any other module below) enables
one alone. Each plugin module has its own ``register()``; this one calls them all.
"""

from pelican_sujianlin import (
    citation,
    equations,
    read_more,
    reader_count,
    recent_comments,
    series,
)

PLUGIN_MODULES = (equations, read_more, series, reader_count, recent_comments, citation)


def register() -> None:
    """Register every plugin of the bundle with Pelican's signals."""
    for module in PLUGIN_MODULES:
        module.register()
