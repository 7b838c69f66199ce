"""pelican-sujianlin: the features of a Scientific Spaces-style mathematical blog.

``PLUGINS = ["pelican_sujianlin"]`` enables every plugin of the bundle;
``PLUGINS = ["pelican_sujianlin.series"]`` (or any other module below) enables
one alone. Each plugin module has its own ``register()``; this one calls them
all. Plugins are imported only when registered, so enabling one alone does not
load the others (nor what they depend on: nh3, sqlite3...).
"""

from importlib import import_module

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
