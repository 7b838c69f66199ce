"""The ``reader_count`` plugin: "73091位读者" on each post and a most-read list.

Counts come from two sources:

* ``Readers:`` metadata in a post (``73091`` or ``73,091``);
* ``READER_COUNT_FILE``: one or more files of counts per page, read once per
  build. Recognised by their content: JSON (``{"/archives/8265/": 333513}``),
  a ``path,count`` CSV, GoatCounter's CSV export (one row per pageview) or
  Plausible's CSV exports (``pages.csv`` of the dashboard export, or the
  ``imported_pages_*.csv`` of the site export); ``.gz`` and ``.zip`` files are
  opened as they come from the service.

The metadata wins over the files; counts from several files are added up.
Each content object gets ``readers`` (int or None), ``readers_text`` ("" when
unknown) and ``readers_attrs`` (the live script's data attributes, "" when
``READER_COUNT_LIVE`` is off); the context gets ``popular_articles``, most
read first (and ``popular_items``, the same posts with their title, address
and count escaped once per build for the ``popular.html`` partial).

Signals: ``generator_init`` (makes the bundle's partials includable),
``all_generators_finalized`` (reads the files once and sets the counts, when
every article and page is known), ``finalized`` (warns about counts for paths
that match no file of the built site).
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import itertools
import json
import logging
import os
import posixpath
import re
import string
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from markupsafe import Markup
from pelican import signals

from pelican_sujianlin.contents import ARTICLE_LISTS, PAGE_LISTS, contents_of
from pelican_sujianlin.language import pick
from pelican_sujianlin.settings import Check, with_defaults
from pelican_sujianlin.theme import SharedItems, add_template_loader

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # One path or a list of paths, relative to the content folder (PATH).
    "READER_COUNT_FILE": None,
    # Python format string with a {count} field; None: by the site's language.
    "READER_COUNT_FORMAT": None,
    # Number of posts in popular_articles.
    "POPULAR_ARTICLES_COUNT": 10,
    # Heading of the sujianlin/popular.html partial; None: by the language.
    "POPULAR_ARTICLES_TITLE": None,
    # A GoatCounter site ("https://NAME.goatcounter.com" or "NAME"): live counts.
    "READER_COUNT_LIVE": None,
}
BY_LANGUAGE = "None (by the site's language)"
CHECKS: dict[str, Check] = {
    "READER_COUNT_FILE": Check(
        types=(str, os.PathLike, list, tuple), none=True, items=(str, os.PathLike)
    ),
    "READER_COUNT_FORMAT": Check(
        types=str,
        none=True,
        fields={"count": 73091},
        required=("count",),
        default_text=BY_LANGUAGE,
    ),
    "POPULAR_ARTICLES_COUNT": Check(types=int, minimum=0),
    "POPULAR_ARTICLES_TITLE": Check(types=str, none=True, default_text=BY_LANGUAGE),
    "READER_COUNT_LIVE": Check(types=str, none=True),
}
FORMAT_ZH = "{count}位读者"
FORMAT_EN = "{count:,} readers"

# Where apply_counts leaves this build's unmatched paths for warn_unmatched.
# They can only be checked once every file is written (static files and plugin
# pages come after the pages), at ``finalized``, whose only argument is the
# Pelican object: its settings dict is the one per-build object both receivers
# see (the generators and the context are local to ``Pelican.run``).
PENDING_KEY = "_READER_COUNT_UNMATCHED"
MAX_LISTED = 10
# The largest count taken from a file or ``Readers:``; more is a mistake (and a
# number of over 4,300 digits is more than ``int()`` reads).
MAX_COUNT = 10**15


# --- settings -----------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """This plugin's settings, read once per build from Pelican's."""

    files: tuple[Path, ...]
    format: str
    count_spec: str  # of format's {count} field, for the live script
    popular_count: int
    popular_title: str
    live: str
    site_path: str
    languages: LanguageSites

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Settings:
        value = with_defaults(settings, DEFAULTS, CHECKS)
        count_format = value["READER_COUNT_FORMAT"] or pick(
            settings, FORMAT_ZH, FORMAT_EN
        )
        return cls(
            files=stats_files(value["READER_COUNT_FILE"], settings.get("PATH", ".")),
            format=count_format,
            count_spec=count_spec(count_format) or "",
            popular_count=value["POPULAR_ARTICLES_COUNT"],
            popular_title=value["POPULAR_ARTICLES_TITLE"]
            or pick(settings, "热门文章", "Most read"),
            live=goatcounter_url(value["READER_COUNT_LIVE"]),
            site_path=urlsplit(str(settings.get("SITEURL") or "")).path.rstrip("/"),
            languages=LanguageSites.from_settings(settings),
        )


@dataclass(frozen=True)
class LanguageSites:
    """Which stats paths are another language's site's, with i18n_subsites.

    ``I18N_SUBSITES`` builds one site per language, each reading the same
    stats file: a subsite (``DEFAULT_LANG`` is one of its keys) counts only
    the paths in its own folder (``own``, e.g. ``en``), the main site none in
    a subsite's folder (``others``). Paths of the other sites are left to
    them, without a warning. A subsite on a host of its own (its ``SITEURL``
    has no path) cannot be told apart by path and counts every path.
    """

    own: str = ""
    others: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> LanguageSites:
        subsites = settings.get("I18N_SUBSITES")
        if not isinstance(subsites, Mapping) or not subsites:
            return cls()
        siteurl = str(settings.get("SITEURL") or "")
        if settings.get("DEFAULT_LANG") in subsites:
            return cls(own=page_key(urlsplit(siteurl).path))
        host = urlsplit(siteurl).netloc
        others = []
        for lang, overrides in subsites.items():
            url = overrides.get("SITEURL") if isinstance(overrides, Mapping) else None
            parts = urlsplit(str(url or posixpath.join(siteurl or "/", str(lang))))
            folder = page_key(parts.path)
            if parts.netloc == host and folder:
                others.append(folder)
        return cls(others=tuple(others))

    def claims(self, raw_path: str) -> bool:
        """Whether this site counts ``raw_path`` (not another language's)."""
        if not (self.own or self.others):
            return True
        key = page_key(raw_path)
        if self.own:
            return under(key, self.own)
        return not any(under(key, folder) for folder in self.others)


def under(key: str, folder: str) -> bool:
    return key == folder or key.startswith(folder + "/")


def stats_files(value: str | Iterable[str] | None, content: str) -> tuple[Path, ...]:
    """The stats files as absolute paths; relative ones are in the content folder."""
    if not value:
        return ()
    names = [value] if isinstance(value, (str, Path)) else list(value)
    return tuple(Path(content) / Path(name).expanduser() for name in names)


def goatcounter_url(value: str | None) -> str:
    """``"kexue"`` -> ``"https://kexue.goatcounter.com"``; URLs lose a final /."""
    if not value:
        return ""
    value = str(value).strip().rstrip("/")
    if "://" not in value:
        value = "https://" + (value if "." in value else value + ".goatcounter.com")
    return value


def count_spec(count_format: str) -> str | None:
    """The format spec of the ``{count}`` field (``","`` for ``{count:,}``)."""
    for _, name, spec, _ in string.Formatter().parse(count_format):
        if name == "count":
            return spec or ""
    return None


# --- counts -------------------------------------------------------------------


def parse_count(value: Any) -> int | None:
    """``73091``, ``"73,091"``, ``"73 091"`` -> 73091; None unless a whole
    number from 0 to :data:`MAX_COUNT` in ASCII digits (``²`` and ``①`` are
    digits to ``str.isdigit`` but no count)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():  # also inf and nan
            return None
        value = int(value)
    if isinstance(value, int):
        return value if 0 <= value <= MAX_COUNT else None
    text = re.sub(r"[,_\s\u00a0\u202f]", "", str(value))
    if text.endswith(".0"):
        text = text[:-2]
    text = text.lstrip("0") or ("0" if text else "")
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_COUNT)):
        return None
    count = int(text)
    return count if count <= MAX_COUNT else None


def shown(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut to about ``limit`` characters for a warning."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def format_count(count: int, count_format: str) -> str:
    return count_format.format(count=count)


# --- paths --------------------------------------------------------------------


def page_key(path: str, site_path: str = "") -> str:
    """One key for every way a service may write the path of one page.

    ``https://blog.example/archives/8265/``, ``/archives/8265``,
    ``archives/8265/index.html`` and ``/archives/8265.html?from=feed`` all give
    ``archives/8265``; percent-encoding is undone (``%E4%B8%AD`` -> ``中``) and
    the path of SITEURL (a site in a sub-folder) is left out.
    """
    text = path.strip()
    if "://" in text or text.startswith("//"):
        text = urlsplit(text if "://" in text else "http:" + text).path
    text = unquote(re.split(r"[?#]", text, maxsplit=1)[0])
    text = "/" + text.strip("/")
    prefix = unquote(site_path).rstrip("/")
    if prefix and (text == prefix or text.startswith(prefix + "/")):
        text = text[len(prefix) :] or "/"
    text = text.strip("/")
    text = re.sub(r"(^|/)index\.html?$", "", text)
    return re.sub(r"\.html?$", "", text).strip("/")


def output_candidates(key: str) -> tuple[str, ...]:
    """The output files a page key may stand for."""
    if not key:
        return ("index.html", "index.htm")
    return (key, f"{key}.html", f"{key}.htm", f"{key}/index.html", f"{key}/index.htm")


def live_path(url: str, site_path: str) -> str:
    """The path as a browser's ``location.pathname`` has it (percent-encoded)."""
    return quote(f"{site_path}/{url}", safe="/%:@!$&'()*+,;=-._~")


# --- stats files --------------------------------------------------------------


@dataclass
class StatsFile:
    """Counts read from one stats file: per page key, with the line of each."""

    path: Path
    kind: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    lines: dict[str, int | None] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    languages: LanguageSites = field(default_factory=LanguageSites)
    # An export repeats each path once per pageview: normalise each path once
    # (None: another language's site's path).
    keys: dict[str, str | None] = field(default_factory=dict, repr=False)

    def add(self, raw_path: str, count: int, line: int | None, site_path: str) -> None:
        if raw_path not in self.keys:
            self.keys[raw_path] = (
                page_key(raw_path, site_path)
                if self.languages.claims(raw_path)
                else None
            )
        key = self.keys[raw_path]
        if key is None:
            return
        self.counts[key] = self.counts.get(key, 0) + count
        self.lines.setdefault(key, line)
        self.shown.setdefault(key, raw_path.strip())

    def problem(self, line: int | None, message: str) -> None:
        where = f"{self.path}, line {line}" if line else str(self.path)
        self.problems.append(f"{where}: {message}")


def read_stats_file(
    path: Path, site_path: str = "", languages: LanguageSites | None = None
) -> StatsFile:
    """Read one stats file; problems are collected, never raised."""
    stats = StatsFile(path, languages=languages or LanguageSites())
    try:
        text = decode(path.read_bytes(), path)
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile, zlib.error, EOFError,
            ValueError) as e:  # fmt: skip
        stats.problem(None, f"cannot read the file ({e})")
        return stats
    if text.lstrip()[:1] in ("{", "["):
        read_json(text, stats, site_path)
    else:
        read_csv(text, stats, site_path)
    return stats


def decode(data: bytes, path: Path) -> str:
    """The text of a stats file, unpacking .gz and .zip as the services send them."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:4] == b"PK\x03\x04":
        data = zip_member(data, path)
    return data.decode("utf-8-sig")


def zip_member(data: bytes, path: Path) -> bytes:
    """From a Plausible export archive, its pages table."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        wanted = [n for n in names if Path(n).name == "pages.csv"] or [
            n for n in names if Path(n).name.startswith("imported_pages")
        ]
        if len(wanted) != 1:
            raise ValueError(f"{path.name} holds no single pages.csv: {names}")
        return archive.read(wanted[0])


def read_json(text: str, stats: StatsFile, site_path: str) -> None:
    stats.kind = "JSON"
    try:
        # Numbers stay text until parse_count bounds them: int() refuses
        # more than 4,300 digits with an error json would not catch.
        data = json.loads(text, parse_int=str)
    except json.JSONDecodeError as e:
        stats.problem(e.lineno, f"not valid JSON ({e.msg})")
        return
    except RecursionError:
        stats.problem(None, "not valid JSON (nested too deep)")
        return
    if not isinstance(data, dict):
        stats.problem(None, "JSON must be an object of path: count")
        return
    lines = LineFinder(text)
    for raw_path, value in data.items():
        line = lines.find(
            json.dumps(raw_path, ensure_ascii=False), json.dumps(raw_path)
        )
        count = parse_count(value)
        if count is None:
            stats.problem(
                line,
                f"count {shown(value)} for {shown(raw_path)} is not a number "
                f"from 0 to {MAX_COUNT:,}",
            )
            continue
        stats.add(raw_path, count, line, site_path)


class LineFinder:
    """Lines of needles in a text; one pass when they come in the text's order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.line = 1

    def find(self, *needles: str) -> int | None:
        for needle in needles:
            index = self.text.find(needle, self.position)
            if index >= 0:
                self.line += self.text.count("\n", self.position, index)
                self.position = index
                return self.line
        for needle in needles:  # out of order: search from the start
            index = self.text.find(needle)
            if index >= 0:
                return self.text.count("\n", 0, index) + 1
        return None


Rows = Iterator[tuple[int, list[str]]]


def read_csv(text: str, stats: StatsFile, site_path: str) -> None:
    """A CSV stats file, read row by row (an export can have millions)."""
    reader = csv.reader(io.StringIO(text))
    rows: Rows = (
        (reader.line_num, row) for row in reader if any(cell.strip() for cell in row)
    )
    try:
        read_csv_rows(rows, stats, site_path)
    except csv.Error as e:
        stats.problem(reader.line_num, f"not valid CSV ({e})")


def read_csv_rows(rows: Rows, stats: StatsFile, site_path: str) -> None:
    first = next(rows, None)
    if first is None:
        stats.problem(None, "the file is empty")
        return
    header = [cell.strip() for cell in first[1]]
    names = [cell.lower() for cell in header]
    columns = table_columns(names)
    if re.fullmatch(r"\d+path", names[0]):
        read_goatcounter(rows, names, stats, site_path)
    elif columns:
        stats.kind = table_kind(names)
        read_table(rows, *columns, stats, site_path)
    elif len(header) == 2 and parse_count(header[1]) is not None:
        stats.kind = "path,count CSV"
        read_table(itertools.chain([first], rows), 0, 1, stats, site_path)
    else:
        stats.problem(
            first[0],
            "unrecognised header "
            f"{','.join(header)!r} (expected path,count, a GoatCounter export "
            "or a Plausible pages export)",
        )


PATH_COLUMNS = ("path", "page", "name", "url")
COUNT_COLUMNS = ("count", "pageviews", "readers", "views")


def table_columns(names: list[str]) -> tuple[int, int] | None:
    path = next((names.index(n) for n in PATH_COLUMNS if n in names), None)
    count = next((names.index(n) for n in COUNT_COLUMNS if n in names), None)
    return None if path is None or count is None else (path, count)


def table_kind(names: list[str]) -> str:
    if names[:3] == ["name", "visitors", "pageviews"]:
        return "Plausible pages export"
    if "hostname" in names and "page" in names and "pageviews" in names:
        return "Plausible imported_pages export"
    return "path,count CSV"


def read_table(
    rows: Iterable[tuple[int, list[str]]],
    path_column: int,
    count_column: int,
    stats: StatsFile,
    site_path: str,
) -> None:
    """A table with one count per row (summed when a page has several rows)."""
    for line, row in rows:
        if len(row) <= max(path_column, count_column):
            stats.problem(line, f"too few columns: {','.join(row)!r}")
            continue
        count = parse_count(row[count_column])
        if count is None:
            stats.problem(
                line,
                f"count {shown(row[count_column])} for {shown(row[path_column])} "
                f"is not a number from 0 to {MAX_COUNT:,}",
            )
            continue
        stats.add(row[path_column], count, line, site_path)


def read_goatcounter(
    rows: Rows,
    names: list[str],
    stats: StatsFile,
    site_path: str,
) -> None:
    """GoatCounter's export: one row per pageview; events and bots left out."""
    stats.kind = f"GoatCounter export (version {names[0][:-4]})"
    event = names.index("event") if "event" in names else None
    bot = names.index("bot") if "bot" in names else None
    for line, row in rows:
        if event is not None and len(row) > event and is_true(row[event]):
            continue
        if bot is not None and len(row) > bot and row[bot].strip() not in ("", "0"):
            continue
        if not row[0].strip():
            stats.problem(line, "a pageview without a path")
            continue
        stats.add(row[0], 1, line, site_path)


def is_true(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "t", "yes")


# --- applying the counts ------------------------------------------------------


def metadata_line(source_path: str | None, key: str) -> int | None:
    """The line of a metadata field in a source file (for warnings)."""
    if not source_path:
        return None
    try:
        text = Path(source_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    pattern = rf"^\s*(:?{key}\s*:|<meta\s+name=[\"']{key}[\"'])"
    match = re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def metadata_count(content: Any) -> int | None:
    """The ``Readers:`` metadata of a content object, or None (warns if bad)."""
    raw = content.metadata.get("readers")
    if raw is None or raw == "":
        return None
    count = parse_count(raw)
    if count is None:
        line = metadata_line(content.source_path, "readers")
        where = f"{content.source_path}, line {line}" if line else content.source_path
        logger.warning(
            "reader_count: %s: Readers: %s is not a number from 0 to %s; ignored",
            where,
            shown(raw),
            f"{MAX_COUNT:,}",
        )
    return count


def readers_attrs(content: Any, settings: Settings) -> str:
    """Data attributes for the live script on the count's span ("" when off)."""
    if not settings.live or content.readers is None:
        return ""
    spec = settings.count_spec
    separator = "," if "," in spec else "_" if "_" in spec else ""
    attrs = {
        "data-goatcounter": settings.live,
        "data-path": live_path(content.url, settings.site_path),
        "data-count": str(content.readers),
        "data-shown": format(content.readers, spec),
        "data-sep": separator,
    }
    return "".join(f' {name}="{html.escape(value)}"' for name, value in attrs.items())


def folder_prefix(file_keys: Iterable[str], page_keys: set[str]) -> str:
    """The sub-folder the stats file's paths carry and the site's URLs do not.

    A site published at ``https://example.org/blog/`` but built with an empty
    SITEURL (a local preview) has ``archives/x`` where the service wrote
    ``blog/archives/x``. The prefix that makes the most unmatched paths name a
    post or page is taken (the shortest on a tie), and only that one, so that
    ``tag/x`` never turns into a page ``x``.
    """
    votes: dict[str, int] = {}
    for key in file_keys:
        if key in page_keys:
            continue
        parts = key.split("/")
        for cut in range(1, len(parts)):
            if "/".join(parts[cut:]) in page_keys:
                prefix = "/".join(parts[:cut])
                votes[prefix] = votes.get(prefix, 0) + 1
                break
    if not votes:
        return ""
    return min(votes, key=lambda prefix: (-votes[prefix], len(prefix), prefix))


def without_prefix(key: str, prefix: str) -> str:
    if prefix and (key == prefix or key.startswith(prefix + "/")):
        return key[len(prefix) + 1 :]
    return key


def set_counts(contents: Iterable[Any], files: list[StatsFile], settings: Settings):
    """Give every content object its count; return the file keys nothing used
    and the sub-folder prefix taken off the paths."""
    contents = list(contents)
    # Pelican computes ``url`` anew on each access: only when there are files.
    content_keys = [
        page_key(getattr(c, "url", "") or "") if files else "" for c in contents
    ]
    page_keys = set(content_keys)
    file_keys = {key for stats in files for key in stats.counts}
    prefix = folder_prefix(file_keys, page_keys)
    from_files: dict[str, int] = {}
    for stats in files:
        for key, count in stats.counts.items():
            if key not in page_keys:
                key = without_prefix(key, prefix)
            from_files[key] = from_files.get(key, 0) + count
    used: set[str] = set()
    for content, key in zip(contents, content_keys, strict=True):
        count = metadata_count(content)
        if key in from_files:
            used.add(key)
            if count is None:
                count = from_files[key]
        content.readers = count
        content.readers_text = (
            "" if count is None else format_count(count, settings.format)
        )
        content.readers_attrs = readers_attrs(content, settings)
    unused = {
        key
        for key in file_keys
        if (key if key in page_keys else without_prefix(key, prefix)) not in used
    }
    return unused, prefix


@dataclass(frozen=True)
class PopularItem:
    """One line of ``popular.html``, escaped once per build, not once per page."""

    article: Any
    url: str
    title: str
    readers_text: str
    readers_attrs: str


def popular_items(articles: list[Any]) -> SharedItems:
    """The lines of ``popular.html``, which renders them once per build."""
    return SharedItems(
        PopularItem(
            article=article,
            url=html.escape(article.url),
            title=html.escape(Markup(article.title).striptags(), quote=False),
            readers_text=html.escape(article.readers_text, quote=False),
            readers_attrs=article.readers_attrs,
        )
        for article in articles
    )


def popular(articles: Iterable[Any], count: int) -> list[Any]:
    """Most read first; ties: newer first, then by source path."""
    counted = [a for a in articles if getattr(a, "readers", None) is not None]
    counted.sort(key=lambda a: (-a.readers, -a.date.timestamp(), a.source_path or ""))
    return counted[: max(count, 0)]


def all_contents(generators: Iterable[Any]) -> Iterator[Any]:
    for generator in generators:
        yield from contents_of(generator, ARTICLE_LISTS + PAGE_LISTS)


def unmatched_report(files: list[StatsFile], unused: set[str]) -> list[tuple]:
    """Per file: the keys no content object took, with their lines."""
    return [
        (
            stats.path,
            [
                (key, stats.shown[key], stats.lines[key])
                for key in sorted(
                    unused & set(stats.counts), key=lambda k: (stats.lines[k] or 0, k)
                )
            ],
        )
        for stats in files
    ]


# --- Pelican glue -------------------------------------------------------------


def apply_counts(generators: list[Any]) -> None:
    """all_generators_finalized: read the files once, set counts and the list."""
    articles_generator = next(
        (g for g in generators if hasattr(g, "articles") and hasattr(g, "drafts")),
        None,
    )
    if articles_generator is None:
        return
    pelican_settings = articles_generator.settings
    settings = Settings.from_settings(pelican_settings)
    files = [
        read_stats_file(path, settings.site_path, settings.languages)
        for path in settings.files
    ]
    for stats in files:
        for problem in stats.problems:
            logger.warning("reader_count: %s", problem)
    unused, prefix = set_counts(all_contents(generators), files, settings)
    context = articles_generator.context
    most_read = popular(articles_generator.articles, settings.popular_count)
    context["popular_articles"] = most_read
    context["popular_items"] = popular_items(most_read)
    context["popular_articles_title"] = settings.popular_title
    pelican_settings[PENDING_KEY] = (prefix, unmatched_report(files, unused))


def warn_unmatched(pelican: Any) -> None:
    """finalized: counts for paths that are no file of the built site."""
    prefix, report = pelican.settings.pop(PENDING_KEY, None) or ("", [])
    output = Path(pelican.output_path)
    for path, entries in report:
        missing = [
            f"{shown} (line {line})" if line else shown
            for key, shown, line in entries
            if not any(
                (output / name).is_file()
                for name in output_candidates(without_prefix(key, prefix))
            )
        ]
        if not missing:
            continue
        more = len(missing) - MAX_LISTED
        listed = ", ".join(missing[:MAX_LISTED]) + (
            f" and {more} more" if more > 0 else ""
        )
        logger.warning(
            "reader_count: %s: %d counts are for pages this site does not have: %s",
            path,
            len(missing),
            listed,
        )


def register() -> None:
    """Connect this plugin to Pelican's signals."""
    signals.generator_init.connect(add_template_loader)
    signals.all_generators_finalized.connect(apply_counts)
    signals.finalized.connect(warn_unmatched)
