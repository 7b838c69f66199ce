"""Files the plugins keep in Pelican's ``CACHE_PATH`` between builds.

One pickled state per file, tagged with a digest of whatever made it (the
plugin's code, the settings it depends on): a file written by another
version or configuration, a corrupt file or a missing one reads as nothing,
and the build starts that cache empty. A file is written whole, under
another name first, so that a build stopped halfway leaves the old one.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def cache_file(settings: Mapping[str, Any], name: str) -> Path:
    """Where the cache file ``name`` lives: in Pelican's ``CACHE_PATH``."""
    return Path(settings.get("CACHE_PATH") or "cache") / name


def source_digest(*parts: str, modules: Iterable[Any] = ()) -> str:
    """A digest of ``parts`` and of the source of ``modules`` (a plugin's
    output changes when its code does, installed or edited in place)."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8"))
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def content_cache_on(settings: Mapping[str, Any]) -> bool:
    """Whether Pelican's content cache is written or read this build."""
    return bool(settings.get("CACHE_CONTENT") or settings.get("LOAD_CONTENT_CACHE"))


def compressed(settings: Mapping[str, Any]) -> bool:
    """Whether cache files are compressed, as Pelican's own are (``GZIP_CACHE``)."""
    return bool(settings.get("GZIP_CACHE", True))


def opener(settings: Mapping[str, Any]) -> Any:
    """How Pelican opens its own cache files: gzip unless ``GZIP_CACHE`` is off."""
    if compressed(settings):
        return lambda path, mode: gzip.open(path, mode, compresslevel=6)
    return open


def load_state(path: Path, digest: str, open_file: Any = open) -> Any:
    """The state saved in ``path`` with ``digest``, or None."""
    try:
        with open_file(path, "rb") as file:
            saved = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception as error:  # a corrupt or foreign file: start again
        logger.warning("Ignoring the cache file %s (%s)", path, error)
        return None
    if not isinstance(saved, tuple) or len(saved) != 2 or saved[0] != digest:
        return None  # another version, configuration or format
    return saved[1]


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A new file beside ``path`` that replaces it whole when the block ends
    (removed when the block raises): two builds saving at once each replace
    the file whole, and a build stopped halfway leaves the old one."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def save_state(
    path: Path, digest: str, state: Any, open_file: Any = open, shared: bool = False
) -> None:
    """Write ``state`` to ``path`` with ``digest`` (see :func:`replacing`);
    a failure is a warning. ``shared``: the state holds many references to
    the same objects (every comment's date has the site's time zone): each
    is pickled once, and the file loads three times as fast."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as temporary, open_file(temporary, "wb") as file:
            pickler = pickle.Pickler(file, pickle.HIGHEST_PROTOCOL)
            # Else no memo: a state is a tree (no cycles), and the memo of tens
            # of thousands of objects would take megabytes at the build's peak.
            pickler.fast = not shared
            pickler.dump((digest, state))
    except (
        OSError,
        pickle.PicklingError,
        AttributeError,
        TypeError,
        ValueError,
    ) as error:
        logger.warning("Cannot write the cache file %s: %s", path, error)
