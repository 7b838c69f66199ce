"""User-facing words in Chinese for a Chinese site, in English otherwise.

A site is Chinese when its ``DEFAULT_LANG`` starts with ``zh`` (``zh``,
``zh_CN``, ``zh-Hans``...). Plugins take their default texts from here so that
every default follows the site's language in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_chinese(settings: Mapping[str, Any]) -> bool:
    """True when the site's default language is a Chinese one."""
    return str(settings.get("DEFAULT_LANG", "")).lower().startswith("zh")


def pick(settings: Mapping[str, Any], chinese: str, english: str) -> str:
    """The Chinese text on a Chinese site, the English one otherwise."""
    return chinese if is_chinese(settings) else english
