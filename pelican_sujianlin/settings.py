"""What the plugins share about reading their settings from Pelican's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def with_defaults(settings: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict:
    """Each setting named in ``defaults``: the site's value, else the default."""
    return {key: settings.get(key, default) for key, default in defaults.items()}
