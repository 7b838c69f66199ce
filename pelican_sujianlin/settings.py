"""What the plugins share about reading their settings from Pelican's.

Each plugin declares its settings once: ``DEFAULTS`` (name -> default) and
``CHECKS`` (name -> :class:`Check`, what a usable value looks like).
:func:`with_defaults` reads them once per build: a setting the site does not
set takes its default; a value its check refuses takes the default too, with a
warning naming the setting, the value and the default. No value of a setting
can crash a build.
"""

from __future__ import annotations

import logging
import os
import re
import string
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

TYPE_WORDS = {
    bool: "True or False",
    int: "a whole number",
    float: "a number",
    str: "text",
    list: "a list",
    tuple: "a list",
    dict: "a mapping",
    os.PathLike: "a path",
    re.Pattern: "a compiled regex",
}


@dataclass(frozen=True)
class Check:
    """What a setting's value must be; every part is optional.

    ``types``: the accepted types (``bool`` is never taken for ``int``).
    ``none``: None is a usable value (it means "off" or "by the language").
    ``minimum``/``maximum``: bounds of a number. ``choices``: the only values.
    ``fields``: the value is a ``str.format`` template, filled with these
    dummy values to prove it can be; ``required`` fields must appear in it
    (an empty string passes: it means "none" or "the default").
    ``items``: the types of each item of a list or tuple, and of each key and
    value of a dict; a bad item is left out (with a warning), not the value.
    ``test``/``means``: any other condition, and how to say it in a warning.
    ``default_text``: how to name a default of None in a warning.
    """

    types: type | tuple[type, ...] = object
    none: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: Collection[Any] = ()
    fields: Mapping[str, Any] | None = None
    required: tuple[str, ...] = ()
    items: type | tuple[type, ...] | None = None
    test: Callable[[Any], bool] | None = None
    means: str = ""
    default_text: str = ""


# Control characters (all but tab, newline and carriage return; DEL too) and
# the noncharacters U+FFFE, U+FFFF: XML 1.0 (feeds) cannot carry them and HTML
# calls them parse errors. A setting's text may reach a feed; a comment's
# reaches a page (recent_comments drops them).
UNSAFE_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def has_control_character(value: Any) -> bool:
    return isinstance(value, str) and bool(UNSAFE_CHARACTERS.search(value))


def as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def has_type(value: Any, types: type | tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in as_tuple(types):
        return False
    return isinstance(value, types)


def expected(check: Check) -> str:
    """What ``check`` accepts, in words: "a whole number >= 0"."""
    if check.means:
        return check.means
    if check.choices:
        return "one of " + ", ".join(map(repr, check.choices))
    if check.fields is not None:
        text = format_words(check.fields, check.required)
    elif check.types is object:
        text = "a value"
    else:
        types = (TYPE_WORDS.get(t, t.__name__) for t in as_tuple(check.types))
        text = " or ".join(dict.fromkeys(types))
    if check.minimum is not None and check.maximum is not None:
        text += f" from {check.minimum} to {check.maximum}"
    elif check.minimum is not None:
        text += f" >= {check.minimum}"
    elif check.maximum is not None:
        text += f" <= {check.maximum}"
    return ("None or " if check.none else "") + text


def format_words(fields: Collection[str], required: Collection[str]) -> str:
    """ "a format string with the field {count} and no other", and the like."""
    names = ", ".join("{" + name + "}" for name in fields)
    if not fields:
        return "text without {fields}"
    if set(required) == set(fields):
        return f"a format string with the field {names} and no other"
    text = f"a format string with no fields but {names}"
    if required:
        text += " (" + ", ".join("{" + name + "}" for name in required) + " needed)"
    return text


def problem(value: Any, check: Check) -> str | None:
    """Why ``value`` fails ``check`` ("" reason: see :func:`expected`), or None."""
    if value is None:
        return None if check.none else ""
    if not has_type(value, check.types):
        return ""
    if has_control_character(value):
        return "it holds a control character, which no page or feed can carry"
    if check.choices and value not in check.choices:
        return ""
    if isinstance(value, (int, float)) and not (
        (check.minimum is None or value >= check.minimum)
        and (check.maximum is None or value <= check.maximum)
    ):
        return ""
    if check.fields is not None and isinstance(value, str) and value:
        reason = format_problem(value, check.fields, check.required)
        if reason is not None:
            return reason
    if check.test is not None and not check.test(value):
        return ""
    return None


def format_problem(
    template: str, fields: Mapping[str, Any], required: Collection[str] = ()
) -> str | None:
    """Why ``template.format(**fields)`` fails or leaves out a required field."""
    try:
        template.format(**fields)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as error:
        return f"{type(error).__name__}: {error}"
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as error:  # pragma: no cover - format() would have failed
        return str(error)
    missing = [name for name in required if name not in used]
    if missing:
        return "no " + ", ".join("{" + name + "}" for name in missing) + " field"
    return None


def bad_items(value: Any, types: type | tuple[type, ...]) -> tuple[Any, list[Any]]:
    """``value`` without the items (dict entries) that are not of ``types``
    or hold a control character, and those items."""

    def good(item: Any) -> bool:
        return has_type(item, types) and not has_control_character(item)

    if isinstance(value, dict):
        kept = {k: v for k, v in value.items() if good(k) and good(v)}
        return kept, [(k, v) for k, v in value.items() if k not in kept]
    if isinstance(value, (list, tuple)):
        return type(value)(filter(good, value)), [i for i in value if not good(i)]
    return value, []


def checked(name: str, value: Any, default: Any, check: Check) -> Any:
    """``value`` if ``check`` takes it, else ``default`` (with a warning)."""
    reason = problem(value, check)
    if reason is not None:
        default_text = check.default_text if default is None else ""
        logger.warning(
            "%s = %r is not %s%s; using the default %s",
            name,
            value,
            expected(check),
            f" ({reason})" if reason else "",
            default_text or repr(default),
        )
        return default
    if check.items is not None:
        value, dropped = bad_items(value, check.items)
        for item in dropped:
            logger.warning(
                "%s: the item %r is not %s; left out",
                name,
                item,
                expected(Check(types=check.items)),
            )
    return value


def with_defaults(
    settings: Mapping[str, Any],
    defaults: Mapping[str, Any],
    checks: Mapping[str, Check] | None = None,
) -> dict:
    """Each setting named in ``defaults``: the site's value, else the default.

    With ``checks``, a value its check refuses is replaced by the default,
    with a warning naming the setting, the value and the default.
    """
    checks = checks or {}
    values = {}
    for key, default in defaults.items():
        value = settings.get(key, default)
        check = checks.get(key)
        values[key] = value if check is None else checked(key, value, default, check)
    return values
