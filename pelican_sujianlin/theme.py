"""Make the bundle's partials (``sujianlin/*.html``) includable from any theme.

Each plugin connects :func:`add_template_loader` to Pelican's ``generator_init``
signal, so ``{% include "sujianlin/meta.html" %}`` works in the site's own theme
and in Pelican's built-in ``notmyidea`` and ``simple`` themes without copying a
file. The bundle's loader comes last: a theme that ships its own
``sujianlin/meta.html`` overrides the bundle's.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader

TEMPLATES_PATH = Path(__file__).parent / "templates"


def add_template_loader(generator) -> None:
    """Append the bundle's template folder to a generator's Jinja loader, once."""
    env = getattr(generator, "env", None)
    if env is None:
        return
    loader = env.loader
    if getattr(loader, "sujianlin_templates", False):
        return
    bundle_loader = FileSystemLoader(str(TEMPLATES_PATH))
    env.loader = ChoiceLoader([loader, bundle_loader])
    env.loader.sujianlin_templates = True
