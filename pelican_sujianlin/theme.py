"""Make the bundle's partials (``sujianlin/*.html``) includable from any theme,
and keep the compiled templates between builds.

Each plugin connects :func:`add_template_loader` to Pelican's ``generator_init``
signal, so ``{% include "sujianlin/meta.html" %}`` works in the site's own theme
and in Pelican's built-in ``notmyidea`` and ``simple`` themes without copying a
file. The bundle's loader comes last: a theme that ships its own
``sujianlin/meta.html`` overrides the bundle's.

:func:`cache_compiled_templates` (``generator_init``, connected by the bundle)
gives each generator's Jinja environment a bytecode cache in Pelican's
``CACHE_PATH`` when Pelican's content cache is on: Pelican makes one
environment per generator, and each compiled ``base.html`` and the rest again
in every build.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import zlib
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemBytecodeCache, FileSystemLoader
from jinja2.bccache import Bucket
from markupsafe import Markup

from pelican_sujianlin.cache import cache_file, compressed, content_cache_on, replacing

logger = logging.getLogger(__name__)

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


class SharedItems(list):
    """Items a partial shows alike on every page (the most-read posts, the
    newest comments), rendered once per build rather than once per page.

    It is a list (``{% for item in items %}`` works as with any list), and
    it can be called with the markup of one item:
    ``{% call(item) items(SITEURL) %}<li>...</li>{% endcall %}`` renders
    every item once per distinct set of arguments (strings as they are,
    anything else by its truth; ``SITEURL`` changes from page to page only
    with ``RELATIVE_URLS``) and hands the same text to every later page.
    The call block must depend on nothing but its arguments and the items.
    """

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self.rendered: dict[tuple[Hashable, ...], str] = {}

    def __call__(self, *key: Any, caller: Callable[[Any], str]) -> str:
        key = tuple(part if isinstance(part, str) else bool(part) for part in key)
        items = self.rendered.get(key)
        if items is None:
            parts = [caller(item) for item in self]
            items = "".join(parts)
            if parts and isinstance(parts[0], Markup):  # an autoescaping theme
                items = Markup(items)
            self.rendered[key] = items
        return items


TEMPLATE_CACHE = "sujianlin-templates"  # the folder, in CACHE_PATH


class TemplateCodeCache(FileSystemBytecodeCache):
    """Jinja's file bytecode cache, keyed by what the compiled code depends
    on beyond the template's source (which Jinja checks itself): the
    environment's syntax and extensions. ``load=False`` writes without
    reading (``pelican --ignore-cache``). ``compress``: each file is
    zlib-compressed (Pelican's ``GZIP_CACHE``), a third of its size."""

    def __init__(
        self, folder: Path, syntax: str, load: bool = True, compress: bool = False
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(str(folder))
        self.syntax = syntax + (":zlib" if compress else "")
        self.load = load
        self.compress = compress
        self.broken = False  # a write failed: no more writes

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        key = super().get_cache_key(name, filename) + self.syntax
        return hashlib.sha1(key.encode("utf-8")).hexdigest()

    def load_bytecode(self, bucket: Bucket) -> None:
        if not self.load or self.broken:
            return
        try:
            data = Path(self._get_cache_filename(bucket)).read_bytes()
        except FileNotFoundError:
            return
        except OSError as error:
            self.give_up(error)
            return
        if self.compress:
            try:
                data = zlib.decompress(data)
            except zlib.error:  # a damaged file: the template is compiled again
                return
        # Jinja checks the format and the source's checksum (else: compiled
        # again); a file cut short inside its checksum is compiled again too.
        try:
            bucket.bytecode_from_string(data)
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        if self.broken:
            return
        data = bucket.bytecode_to_string()
        if self.compress:
            data = zlib.compress(data, 6)
        try:
            with replacing(Path(self._get_cache_filename(bucket))) as temporary:
                temporary.write_bytes(data)
        except OSError as error:
            self.give_up(error)

    def give_up(self, error: OSError) -> None:
        """A read or write failed (a full disk, a read-only or vanished
        folder): one warning, as Pelican's own cache gives, and the build
        goes on compiling as Pelican does."""
        self.broken = True
        logger.warning(
            "Cannot keep compiled templates in %s: %s", self.directory, error
        )


def environment_syntax(env: Environment) -> str | None:
    """A digest of the settings that shape an environment's compiled code;
    None when one cannot be told apart from another (a callable
    ``autoescape``, as ``select_autoescape`` makes, or a ``finalize``: both
    shape the code and are functions of the site's own)."""
    if callable(env.autoescape) or env.finalize is not None:
        return None
    parts = (
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.autoescape,
        env.is_async,
        sorted(env.extensions),
    )
    return hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()


def cache_compiled_templates(generator: Any) -> None:
    """``generator_init``: with ``CACHE_CONTENT`` (or ``LOAD_CONTENT_CACHE``)
    on, compiled templates go to ``CACHE_PATH/sujianlin-templates`` and come
    back from there (unless ``LOAD_CONTENT_CACHE`` is off), so neither the
    next generator nor the next build compiles a template again."""
    env = getattr(generator, "env", None)
    settings: Mapping[str, Any] = getattr(generator, "settings", {})
    if env is None or env.bytecode_cache is not None:
        return
    if not content_cache_on(settings):
        return
    syntax = environment_syntax(env)
    if syntax is None:
        return
    folder = cache_file(settings, TEMPLATE_CACHE)
    load = bool(settings.get("LOAD_CONTENT_CACHE"))
    try:
        cache = TemplateCodeCache(folder, syntax, load, compressed(settings))
    except OSError:  # an unwritable CACHE_PATH: compile as Pelican does
        return
    env.bytecode_cache = cache
