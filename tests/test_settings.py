"""pelican_sujianlin.settings: the Check helper, and every plugin's settings
read through it: no value of any setting crashes a build, and each bad one
warns naming the setting, the value and the default used instead."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import EXAMPLE_SITE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pelican_sujianlin import (
    citation,
    equations,
    read_more,
    reader_count,
    recent_comments,
    series,
)
from pelican_sujianlin.settings import Check, expected, problem, with_defaults

PLUGINS = {
    "citation": citation,
    "equations": equations,
    "read_more": read_more,
    "reader_count": reader_count,
    "recent_comments": recent_comments,
    "series": series,
}
ALL_CHECKS = {
    name: check for module in PLUGINS.values() for name, check in module.CHECKS.items()
}
ALL_DEFAULTS = {
    name: default
    for module in PLUGINS.values()
    for name, default in module.DEFAULTS.items()
}
READERS = {
    "citation": citation.Settings.from_settings,
    "read_more": read_more.Options.from_settings,
    "reader_count": reader_count.Settings.from_settings,
    "recent_comments": recent_comments.Options.from_settings,
    "series": series.SeriesSettings.from_settings,
}


# --- the helper -----------------------------------------------------------------


def test_types_and_none():
    check = Check(types=int)
    assert problem(3, check) is None
    assert problem("3", check) == ""
    assert problem(True, check) == ""  # a bool is no number here
    assert problem(None, check) == ""
    assert problem(None, Check(types=int, none=True)) is None
    assert problem(True, Check(types=bool)) is None
    assert problem(1, Check(types=bool)) == ""


def test_bounds_and_choices():
    check = Check(types=int, minimum=1, maximum=5)
    assert [problem(n, check) for n in (0, 1, 5, 6)] == ["", None, None, ""]
    assert expected(check) == "a whole number from 1 to 5"
    choose = Check(types=str, choices=("ams", "all", "none"))
    assert problem("all", choose) is None
    assert problem("AMS", choose) == ""
    assert expected(choose) == "one of 'ams', 'all', 'none'"


def test_format_fields_are_checked_by_formatting():
    check = Check(types=str, fields={"count": 73091}, required=("count",))
    assert problem("{count:,} 次", check) is None
    assert problem("{count[0]}", check).startswith("TypeError")
    assert problem("{n}", check) == "KeyError: 'n'"
    assert problem("{count:s}", check).startswith("ValueError")
    assert problem("{", check).startswith("ValueError")
    assert problem("readers", check) == "no {count} field"
    assert problem("", check) is None  # empty: off, or the default
    path = Check(types=str, fields={"slug": "s", "lang": "en"}, required=("slug",))
    assert problem("series/{slug}-{lang}/", path) is None
    assert problem("series/{nope}/", path) == "KeyError: 'nope'"
    assert problem("series.html", path) == "no {slug} field"


def test_items_of_a_list_or_mapping_are_kept_one_by_one(caplog):
    caplog.set_level(logging.WARNING)
    value = with_defaults(
        {"A": ["a.json", 3, "b.csv"], "B": {"x": "y", "z": 1}},
        {"A": None, "B": {}},
        {"A": Check(types=(str, list), items=str), "B": Check(types=dict, items=str)},
    )
    assert value == {"A": ["a.json", "b.csv"], "B": {"x": "y"}}
    assert "A: the item 3 is not text; left out" in caplog.text
    assert "B: the item ('z', 1) is not text; left out" in caplog.text


def test_text_with_a_control_character_is_refused(caplog):
    from pelican_sujianlin.settings import checked

    assert checked("X", "a\x1bb", "d", Check(types=str)) == "d"
    assert "control character" in caplog.text
    assert checked("X", "tab\tand\nline", "d", Check(types=str)) == "tab\tand\nline"
    assert checked("X", ["ok", "bad\x07"], [], Check(types=list, items=str)) == ["ok"]


def test_a_test_with_its_words():
    check = Check(types=str, test=lambda s: s.strip() != "", means="non-blank text")
    assert problem(" ", check) == ""
    assert expected(check) == "non-blank text"


def test_with_defaults_warns_naming_setting_value_and_default(caplog):
    caplog.set_level(logging.WARNING)
    checks = {
        "N": Check(types=int, minimum=0),
        "F": Check(types=str, none=True, fields={"x": 1}, default_text="None (own)"),
    }
    value = with_defaults({"N": -1, "F": "{y}"}, {"N": 10, "F": None}, checks)
    assert value == {"N": 10, "F": None}
    assert caplog.messages == [
        "N = -1 is not a whole number >= 0; using the default 10",
        "F = '{y}' is not None or a format string with no fields but {x} "
        "(KeyError: 'y'); using the default None (own)",
    ]


def test_missing_settings_take_the_default_without_a_warning(caplog):
    caplog.set_level(logging.WARNING)
    assert with_defaults({}, {"N": 10}, {"N": Check(types=int)}) == {"N": 10}
    assert with_defaults({"N": 3}, {"N": 10}) == {"N": 3}  # no checks: as given
    assert caplog.messages == []


# --- every plugin's declarations ------------------------------------------------


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_every_setting_has_a_check_its_default_passes(plugin):
    module = PLUGINS[plugin]
    assert set(module.CHECKS) == set(module.DEFAULTS)
    for name, default in module.DEFAULTS.items():
        assert problem(default, module.CHECKS[name]) is None, name


WRONG_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.binary(max_size=10),
    st.lists(st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(
        st.one_of(st.text(max_size=5), st.integers()),
        st.one_of(st.text(max_size=10), st.integers()),
        max_size=3,
    ),
    st.sampled_from(["{", "}", "{0}", "{count[0]}", "{slug.x}", "{nope}", "{count:s}"]),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.dictionaries(st.sampled_from(sorted(ALL_CHECKS)), WRONG_VALUES))
def test_no_value_of_any_setting_breaks_reading_the_settings(values, tmp_path):
    """Any values at all: each plugin reads its settings without an error."""
    site = {"PATH": str(tmp_path), "DEFAULT_LANG": "zh", **values}
    for read in READERS.values():
        read(site)


# --- real builds with each bad setting -----------------------------------------

POST_1 = """Title: 生成扩散模型漫谈（一）：起点
Slug: diffusion-1
Date: 2024-01-01
Readers: 100

开头的一段。<!--more-->

$$E = mc^2\\label{eq:e}$$

由\\eqref{eq:e}可知。
"""
POST_2 = """Title: 生成扩散模型漫谈（二）：继续
Slug: diffusion-2
Date: 2024-01-02
Readers: 200

第二篇的正文。
"""
OTHER = """Title: 另一篇文章
Slug: other
Date: 2024-01-03
Readers: 50

{}
""".format("中文长文" * 100)
CONTENT = {
    "diffusion-1.md": POST_1,
    "diffusion-2.md": POST_2,
    "other.md": OTHER,
    "comments/diffusion-1/a.md": "author: 甲\ndate: 2024-02-01 10:00\n\n评论甲的内容\n",
    "comments/diffusion-1/b.md": (
        "author: 乙\ndate: 2024-02-02 10:00\nreplyto: a\n\n回复乙的内容\n"
    ),
    "stats.csv": "path,count\n/archives/other/,7\n",
}
SITE = {
    "THEME": str(EXAMPLE_SITE / "theme"),
    "ARTICLE_URL": "archives/{slug}/",
    "ARTICLE_SAVE_AS": "archives/{slug}/index.html",
    "READER_COUNT_FILE": "stats.csv",
    "MATHJAX_URL": "mathjax.js",
}


def assert_whole(site) -> None:
    """Everything every plugin adds to the test site is there."""
    first = site.read("archives/diffusion-1/index.html")
    assert "开头的一段" in first
    assert '<span class="readers">' in first  # reader_count
    assert '<nav class="series"' in first  # series
    assert '<a class="eqref" href="' in first  # equations
    assert '<section id="cite"' in first  # citation
    assert "评论甲的内容" in first  # recent_comments: the thread
    assert "回复乙的内容" in first
    assert '<section id="recent-comments"' in first
    assert '<section id="popular"' in first
    assert "第二篇的正文" in site.read("archives/diffusion-2/index.html")
    assert "中文长文" in site.read("archives/other/index.html")
    index = site.read("index.html")
    assert '<a class="read-more"' in index  # read_more
    assert site.exists("series/sheng-cheng-kuo-san-mo-xing-man-tan.html") or any(
        p.name.endswith(".html") for p in (site.output / "series").iterdir()
    )


def test_the_test_site_is_whole_and_quiet(build_site):
    site = build_site(CONTENT, **SITE)
    assert site.warnings == []
    assert_whole(site)


BAD_SETTINGS = [
    # the crashes of issue 16
    ("READER_COUNT_FILE", 123),
    ("POPULAR_ARTICLES_COUNT", "five"),
    ("READER_COUNT_FORMAT", 123),
    ("READER_COUNT_FORMAT", "{count[0]}"),
    ("SERIES_SLUGS", "x"),
    ("SERIES_URL", "series/{nope}/"),
    # silently wrong in issue 16
    ("POPULAR_ARTICLES_COUNT", -1),
    ("READ_MORE_CJK_LENGTH", -1),
    # more of the same kinds
    ("READER_COUNT_FORMAT", "{n} reads"),
    ("READER_COUNT_FORMAT", "no field"),
    ("READER_COUNT_FILE", ["stats.csv", 5]),
    ("READER_COUNT_LIVE", 5),
    ("POPULAR_ARTICLES_TITLE", ["热门"]),
    ("SERIES_SAVE_AS", "series.html"),
    ("SERIES_SAVE_AS", 5),
    ("SERIES_LANG_URL", "{slug.x}"),
    ("SERIES_INDEX_SAVE_AS", 1.5),
    ("SERIES_SLUGS", {"生成扩散模型漫谈": 3}),
    ("SERIES_TEXT", 5),
    ("SERIES_TEXT", ["nav"]),
    ("SERIES_LABELS", {"nav": "{nope}"}),
    ("SERIES_LABELS", {"next": "{name}"}),
    ("SERIES_LABELS", {"nav": 5}),
    ("SERIES_LABELS", {"navigation": "x"}),
    ("SERIES_LABELS", 5),
    ("SERIES_TITLE_MIN_PARTS", "x"),
    ("SERIES_FROM_TITLE", "no"),
    ("SERIES_TITLE_PATTERNS", 5),
    ("READ_MORE_MARKER", 5),
    ("READ_MORE_MARKER", "<!-- -->"),
    ("READ_MORE_TEXT", 5),
    ("READ_MORE_LINK", 5),
    ("READ_MORE_LINK", ["x"]),
    ("READ_MORE_LINK_FORMAT", "<a>{text}</a>"),
    ("READ_MORE_CJK_LENGTH", "many"),
    ("RECENT_COMMENTS_COUNT", "x"),
    ("RECENT_COMMENTS_EXCERPT", -3),
    ("COMMENTS_AVATAR_URL", 5),
    ("ISSO_URL", 5),
    ("ISSO_DB", 5),
    ("COMMENTS_PATH", 5),
    ("CITATION_AUTHOR", 5),
    ("CITATION_KEY_PREFIX", 5),
    ("CITATION_SITEURL", ["x"]),
    ("CITATION_BIB_SAVE_AS", 5),
    ("EQUATIONS_STRICT", "yes"),
    ("MATHJAX_URL", 5),
    ("MATHJAX_FONT_URL", 5),
    # a control character cannot be written into a feed (XML 1.0)
    ("READ_MORE_LINK", "\x1b"),
    ("READ_MORE_TEXT", "more\x00"),
]


def expected_warning(name: str, value) -> str:
    if name == "SERIES_LABELS" and isinstance(value, dict):
        key = next(iter(value))
        return f"SERIES_LABELS[{key!r}] = {value[key]!r} ignored"
    if isinstance(value, list) and name in ("READER_COUNT_FILE",):
        return f"{name}: the item {value[-1]!r} is not"
    if isinstance(value, dict) and name == "SERIES_SLUGS":
        return f"{name}: the item {next(iter(value.items()))!r} is not"
    return f"{name} = {value!r} is not"


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_a_bad_setting_warns_and_the_site_builds(build_site, name, value):
    site = build_site(CONTENT, **{**SITE, name: value})
    wanted = expected_warning(name, value)
    warned = [w for w in site.warnings if w.startswith(wanted)]
    assert len(warned) == 1, site.warnings
    assert site.warnings == warned  # nothing else went wrong
    if " = " in wanted and "[" not in wanted.split(" = ")[0]:
        assert "; using the default " in warned[0]
    assert_whole(site)


def test_a_series_page_pattern_without_slug_no_longer_loops(build_site):
    """Two series and SERIES_SAVE_AS without {slug}: the clash-renaming loop
    would never end (every name gives the same path)."""
    content = {
        **CONTENT,
        "b1.md": "Title: 另一系列（一）：x\nDate: 2024-03-01\n\n甲\n",
        "b2.md": "Title: 另一系列（二）：y\nDate: 2024-03-02\n\n乙\n",
    }
    site = build_site(content, **{**SITE, "SERIES_SAVE_AS": "series.html"})
    assert site.warnings[0].startswith("SERIES_SAVE_AS = 'series.html' is not")
    assert len(list((site.output / "series").glob("*.html"))) == 3  # 2 + index


def test_comments_path_that_is_a_file_or_missing_warns(build_site):
    for value, problem_text in (
        ("diffusion-1.md", "is not a folder"),
        ("comment", "does not exist"),
    ):
        site = build_site(CONTENT, **{**SITE, "COMMENTS_PATH": value})
        path = Path(site.content) / value
        assert (
            f"COMMENTS_PATH = {value!r}: {path} {problem_text}; no file comments"
            in site.warnings
        )
    root = build_site(CONTENT, **{**SITE, "COMMENTS_PATH": "/"})
    assert (
        "COMMENTS_PATH = '/' names no folder inside the content folder; "
        "no file comments" in root.warnings
    )
    default_missing = build_site(
        {k: v for k, v in CONTENT.items() if not k.startswith("comments/")}, **SITE
    )
    assert default_missing.warnings == []  # no comments at all: nothing to say


def test_other_themes_strings_in_series_text_and_read_more_link(build_site):
    """Other themes' and plugins' string forms are no type error here."""
    site = build_site(
        CONTENT,
        **SITE,
        SERIES_TEXT="Part %(index)s of the %(name)s series",
        READ_MORE_LINK="Continue",
    )
    assert not any(
        w.startswith(("SERIES_TEXT", "READ_MORE_LINK")) for w in site.warnings
    )
    assert "开头的一段" in site.read("archives/diffusion-1/index.html")


def lenient(name: str) -> dict[str, bool]:
    """What lets a random value of ``name`` build: a text ISSO_DB names a
    database that is not there, which by design stops the build unless
    ISSO_DB_REQUIRED is off (tests/test_isso.py)."""
    return {"ISSO_DB_REQUIRED": False} if name == "ISSO_DB" else {}


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # a marker found in a post's text would stand in it; a folder may be none
    name=st.sampled_from(
        sorted(set(ALL_CHECKS) - {"COMMENTS_PATH", "READ_MORE_MARKER"})
    ),
    value=WRONG_VALUES,
)
def test_any_value_of_a_setting_still_builds_every_post(build_site, name, value):
    """A real build with a random value of one setting: no error, and every
    post, its text and its comments are on their pages."""
    site = build_site(CONTENT, **{**SITE, **lenient(name), name: value})
    first = site.read("archives/diffusion-1/index.html")
    assert "开头的一段" in first
    assert "评论甲的内容" in first
    assert "回复乙的内容" in first
    assert "第二篇的正文" in site.read("archives/diffusion-2/index.html")
    assert "中文长文" in site.read("archives/other/index.html")
    for warning in site.warnings:  # each names the setting, or the file it named
        assert name in warning or warning.startswith("reader_count: ")
