"""The ``series`` plugin: multi-part posts, found in metadata or in titles.

A post joins a series through ``Series:`` (and ``Series_index:``) metadata or,
with ``SERIES_FROM_TITLE``, through a kexue.fm-style title such as
``生成扩散模型漫谈（十五）：副标题`` (see :mod:`.titles`). Each part gets
``article.series``, a mapping with the keys of the pelican-series plugin plus
this plugin's own; the context gets ``article_series`` (as pelican-series
names it, and ``series``, its name before pelican-series 3.0), ``series_list``
and ``series_index``; a page is written per series
and one lists them all (:mod:`.pages`).

Signals: ``generator_init`` (makes the bundle's templates includable),
``article_generator_finalized`` (builds every series from pristine titles and
metadata, every build), ``get_generators`` (the generator writing the pages).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pelican import signals
from pelican.utils import slugify

from pelican_sujianlin.language import is_chinese
from pelican_sujianlin.series.build import (
    Series,
    attach,
    attach_alone,
    attach_preview,
    find_member,
    group_series,
)
from pelican_sujianlin.series.titles import series_key
from pelican_sujianlin.settings import Check, with_defaults
from pelican_sujianlin.theme import add_template_loader

logger = logging.getLogger(__name__)

# Every setting of this plugin, with its default (documented in the README).
DEFAULTS: Mapping[str, Any] = {
    "SERIES_FROM_TITLE": True,
    "SERIES_TITLE_PATTERNS": (),
    "SERIES_TITLE_MIN_PARTS": 2,
    "SERIES_URL": "series/{slug}.html",
    "SERIES_SAVE_AS": "series/{slug}.html",
    "SERIES_LANG_URL": "series/{slug}-{lang}.html",
    "SERIES_LANG_SAVE_AS": "series/{slug}-{lang}.html",
    "SERIES_INDEX_URL": "series/index.html",
    "SERIES_INDEX_SAVE_AS": "series/index.html",
    "SERIES_SLUGS": {},
    "SERIES_LABELS": {},
    # The string Flex, Reflex and pelican-bootstrap3 print above their series
    # box ("Part %(index)s of the %(name)s series"): the bundle's "nav" line.
    "SERIES_TEXT": None,
}
# What each setting must be (see pelican_sujianlin.settings.Check).
PAGE_PATTERN = Check(
    types=str, none=True, fields={"slug": "s", "lang": "en"}, required=("slug",)
)
CHECKS: Mapping[str, Check] = {
    "SERIES_FROM_TITLE": Check(types=bool),
    "SERIES_TITLE_PATTERNS": Check(
        types=(str, re.Pattern, list, tuple), none=True, items=(str, re.Pattern)
    ),
    "SERIES_TITLE_MIN_PARTS": Check(types=int, minimum=1),
    "SERIES_URL": PAGE_PATTERN,
    "SERIES_SAVE_AS": PAGE_PATTERN,
    "SERIES_LANG_URL": PAGE_PATTERN,
    "SERIES_LANG_SAVE_AS": PAGE_PATTERN,
    "SERIES_INDEX_URL": Check(types=str, none=True),
    "SERIES_INDEX_SAVE_AS": Check(
        types=str,
        none=True,
        # Pelican's writer raises (a traceback) on a path outside the output.
        test=lambda path: (
            not path.startswith(("/", "\\")) and ".." not in re.split(r"[/\\]", path)
        ),
        means="a path inside the output folder",
    ),
    "SERIES_SLUGS": Check(types=dict, none=True, items=str),
    "SERIES_LABELS": Check(types=dict, none=True),
    # A string: the form of Flex and other themes; a mapping: the old
    # SERIES_LABELS (see labels_from).
    "SERIES_TEXT": Check(types=(str, dict), none=True),
}

# Words shown to readers; SERIES_LABELS overrides any of them. They are HTML
# (settings are trusted); {name}, {index}, {count} and {title} are filled in
# with escaped values where they make sense: these are the fields of each.
TEXT_FIELDS = {
    "nav": ("name", "index", "count"),
    "previous": ("title",),
    "next": ("title",),
    "all": (),
    "page_title": ("name",),
    "index_title": (),
    "count": ("count",),
}
TEXT_ZH = {
    "nav": "本文是「{name}」系列的第 {index} 篇，共 {count} 篇。",
    "previous": "上一篇：{title}",
    "next": "下一篇：{title}",
    "all": "本系列全部文章",
    "page_title": "「{name}」系列",
    "index_title": "系列文章",
    "count": "共 {count} 篇",
}
TEXT_EN = {
    "nav": "This is part {index} of {count} in the series “{name}”.",
    "previous": "Previous: {title}",
    "next": "Next: {title}",
    "all": "All parts of this series",
    "page_title": "Series: {name}",
    "index_title": "Series",
    "count": "{count} parts",
}


@dataclass(frozen=True)
class SeriesSettings:
    """This plugin's settings, read once per build."""

    from_title: bool
    title_patterns: tuple[re.Pattern[str], ...]
    title_min_parts: int
    url: str
    save_as: str
    lang_url: str
    lang_save_as: str
    index_url: str
    index_save_as: str
    slugs: Mapping[str, str]
    text: Mapping[str, str]
    default_lang: str
    slug_subs: tuple
    slug_unicode: bool
    slug_case: bool

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SeriesSettings:
        value = with_defaults(settings, DEFAULTS, CHECKS)
        text = dict(TEXT_ZH if is_chinese(settings) else TEXT_EN)
        text.update(labels_from(value["SERIES_TEXT"], value["SERIES_LABELS"]))
        return cls(
            from_title=value["SERIES_FROM_TITLE"],
            title_patterns=compile_patterns(value["SERIES_TITLE_PATTERNS"]),
            title_min_parts=value["SERIES_TITLE_MIN_PARTS"],
            url=value["SERIES_URL"] or "",
            save_as=value["SERIES_SAVE_AS"] or "",
            lang_url=value["SERIES_LANG_URL"] or "",
            lang_save_as=value["SERIES_LANG_SAVE_AS"] or "",
            index_url=value["SERIES_INDEX_URL"] or "",
            index_save_as=value["SERIES_INDEX_SAVE_AS"] or "",
            slugs=value["SERIES_SLUGS"] or {},
            text=text,
            default_lang=str(settings.get("DEFAULT_LANG", "")),
            slug_subs=tuple(settings.get("SLUG_REGEX_SUBSTITUTIONS", ())),
            slug_unicode=bool(settings.get("SLUGIFY_USE_UNICODE", False)),
            slug_case=bool(settings.get("SLUGIFY_PRESERVE_CASE", False)),
        )


def labels_from(
    series_text: str | dict | None, series_labels: dict | None
) -> dict[str, str]:
    """The texts a site overrides, from SERIES_TEXT and SERIES_LABELS (checked).

    A string SERIES_TEXT has the meaning themes written for pelican-series
    give it (a %-format with ``index`` and ``name``, shown above the parts): it
    becomes the ``nav`` line. A mapping is this bundle's old name for
    SERIES_LABELS: still read, with a warning. SERIES_LABELS wins.
    """
    labels: dict[str, str] = {}
    if isinstance(series_text, str) and series_text:
        nav = nav_from_printf(series_text)
        if nav is None:
            logger.warning(
                "SERIES_TEXT %r is not a %%-format with %%(index)s and %%(name)s "
                "as themes use it; the series navigation keeps its own text",
                series_text,
            )
        else:
            labels["nav"] = nav
    elif series_text:  # a dict
        logger.warning(
            "SERIES_TEXT as a mapping is deprecated: rename it SERIES_LABELS "
            "(themes such as Flex print SERIES_TEXT as a string)"
        )
        labels.update(text_mapping("SERIES_TEXT", series_text))
    if series_labels:
        labels.update(text_mapping("SERIES_LABELS", series_labels))
    return labels


def text_mapping(setting: str, value: dict) -> dict[str, str]:
    """The label -> text items of ``value``, warning (naming ``setting``)
    about the rest."""
    kept = {}
    for key, text in value.items():
        if key not in TEXT_EN or not isinstance(text, str):
            logger.warning(
                "%s[%r] = %r ignored: the keys are %s, the values strings",
                setting,
                key,
                text,
                ", ".join(TEXT_EN),
            )
            continue
        unknown = [name for name in FIELD.findall(text) if name not in TEXT_FIELDS[key]]
        if unknown:  # it would be printed as it is
            logger.warning(
                "%s[%r] = %r ignored: %s is not one of its fields (%s)",
                setting,
                key,
                text,
                "{" + unknown[0] + "}",
                ", ".join("{" + name + "}" for name in TEXT_FIELDS[key]) or "none",
            )
            continue
        kept[key] = text
    return kept


FIELD = re.compile(r"\{(\w+)\}")


_PRINTF_FIELD = re.compile(r"%(?:\((index|name)\)[sd]|%)")


def nav_from_printf(text: str) -> str | None:
    """``Part %(index)s of the %(name)s series`` as ``Part {index} of the
    {name} series``; None when ``text`` holds another ``%`` field, which the
    themes' ``format`` filter would fail on too (they give only these two)."""
    fields = {"index": "{index}", "name": "{name}", None: "%"}
    nav = _PRINTF_FIELD.sub(lambda match: fields[match.group(1)], text)
    leftover = _PRINTF_FIELD.sub("", text)
    return None if "%" in leftover else nav


def compile_patterns(patterns: Any) -> tuple[re.Pattern[str], ...]:
    """Compile SERIES_TITLE_PATTERNS, warning about (and skipping) bad ones."""
    if isinstance(patterns, (str, re.Pattern)):
        patterns = [patterns]
    compiled = []
    for pattern in patterns or ():
        try:
            regex = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
        except (re.error, TypeError) as error:
            logger.warning(
                "SERIES_TITLE_PATTERNS: %r is not a regex (%s)", pattern, error
            )
            continue
        if "name" not in regex.groupindex:
            logger.warning(
                "SERIES_TITLE_PATTERNS: %r has no (?P<name>...) group; ignored",
                regex.pattern,
            )
            continue
        compiled.append(regex)
    return tuple(compiled)


def fill(template: str, **values: Any) -> str:
    """Replace {name}-style fields, leaving any other brace alone."""
    for field_name, value in values.items():
        template = template.replace("{" + field_name + "}", str(value))
    return template


def build_series(generator) -> None:
    """article_generator_finalized: every series, from scratch, every build."""
    config = SeriesSettings.from_settings(generator.settings)

    def find(article):
        return find_member(
            article, from_title=config.from_title, patterns=config.title_patterns
        )

    published = [*generator.articles, *generator.translations]
    found = group_series(
        published,
        find=find,
        min_title_parts=config.title_min_parts,
        listed_ids={id(article) for article in generator.articles},
    )
    ordered = sorted(found.values(), key=lambda s: (s.first.date, s.lang, s.key))
    used_paths: set[str] = set()
    for series in ordered:
        place(series, config, used_paths)
        attach(series)
    for article in (
        *generator.drafts,
        *generator.drafts_translations,
        *generator.hidden_articles,
        *generator.hidden_translations,
    ):
        member = find(article)
        if member is None:
            continue
        series = found.get((str(article.lang), series_key(member.name)))
        if series is not None:
            attach_preview(series, member)
        elif member.declared:
            attach_alone(member, config.text)
    newest_first = sorted(ordered, key=lambda s: s.date, reverse=True)
    listed = [series for series in newest_first if series.listed]
    article_series = {}  # as pelican-series: name -> parts, newest series first
    for series in listed:
        if series.name not in article_series or series.lang == config.default_lang:
            article_series[series.name] = series.articles
    generator.context["article_series"] = article_series
    # pelican-series before 3.0 named it "series"; older themes still read that
    generator.context["series"] = article_series
    generator.context.setdefault("page_series", {})  # pages are never in series
    if isinstance(generator.context.get("SERIES_TEXT"), Mapping):
        # the bundle's deprecated dict, read above: themes that print
        # SERIES_TEXT (Flex) would show it as "{'nav': ...}"; they get their
        # own default instead
        del generator.context["SERIES_TEXT"]
    generator.context["series_list"] = newest_first
    generator.context["series_index"] = SeriesIndex(
        title=config.text["index_title"],
        url=config.index_url,
        save_as=config.index_save_as if listed else "",
        series=listed,
    )


def place(series: Series, config: SeriesSettings, used_paths: set[str]) -> None:
    """Give a series its slug, URL, page path and words; warn on a clash."""
    slug = config.slugs.get(series.raw_name) or slugify(
        spaced(series.raw_name),
        regex_subs=config.slug_subs,
        preserve_case=config.slug_case,
        use_unicode=config.slug_unicode,
    )
    slug = slug or "series"
    default = series.lang == config.default_lang
    url_pattern = config.url if default else config.lang_url
    save_pattern = config.save_as if default else config.lang_save_as
    base, number = slug, 1
    while (
        save_pattern and save_pattern.format(slug=slug, lang=series.lang) in used_paths
    ):
        number += 1
        slug = f"{base}-{number}"
    if number > 1:
        logger.warning(
            "Series %r has the slug %r of another series; its page is %r",
            series.raw_name,
            base,
            save_pattern.format(slug=slug, lang=series.lang),
        )
    series.slug = slug
    series.url = (
        url_pattern.format(slug=slug, lang=series.lang) if url_pattern else None
    )
    series.save_as = save_pattern.format(slug=slug, lang=series.lang) or None
    if series.save_as:
        used_paths.add(series.save_as)
    series.labels = config.text
    series.title = fill(config.text["page_title"], name=series.name)
    series.count_text = fill(config.text["count"], count=series.count)


_LATIN_CJK = re.compile(
    r"(?<=[A-Za-z0-9])(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])(?=[A-Za-z0-9])"
)


def spaced(name: str) -> str:
    """Space Latin from CJK so that pinyin slugs keep words apart:
    ``Transformer升级之路`` -> ``transformer-sheng-ji-zhi-lu``."""
    return _LATIN_CJK.sub(" ", name)


@dataclass(frozen=True)
class SeriesIndex:
    """The page listing every series (``series_index`` in templates)."""

    title: str
    url: str
    save_as: str
    series: list


def get_generators(pelican):
    """get_generators: the generator that writes the series pages."""
    from pelican_sujianlin.series.pages import SeriesGenerator

    return SeriesGenerator


def register() -> None:
    """Connect this plugin to Pelican's signals."""
    signals.generator_init.connect(add_template_loader)
    signals.article_generator_finalized.connect(build_series)
    signals.get_generators.connect(get_generators)
