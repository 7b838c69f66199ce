"""The ``series`` plugin (work in progress: registered, does nothing yet).

Signals: ``generator_init`` (makes the bundle's partials includable).
"""

from pelican import signals

from pelican_sujianlin.theme import add_template_loader


def register() -> None:
    """Connect this plugin to Pelican's signals."""
    signals.generator_init.connect(add_template_loader)
