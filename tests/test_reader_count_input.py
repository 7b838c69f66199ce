"""reader_count with hostile counts: digits that are not ASCII, numbers past
int()'s 4,300-digit limit, absurd sizes. Each warns naming the file and line,
is skipped, and every good count beside it is still shown."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reader_count import build_with, meta_line, minimal_theme, post

from pelican_sujianlin.reader_count import MAX_COUNT, parse_count

__all__ = ["minimal_theme"]  # a fixture, used by name

HUGE = "9" * 5000  # int("9" * 5000) raises ValueError: over 4,300 digits


@pytest.mark.parametrize(
    "value",
    ["²", "①", "١٢", "１２", "1²", HUGE, "0" * 5000 + "1" + "0" * 20, 10**16,
     float(10**300), float("inf"), float("nan"), str(MAX_COUNT + 1), [1], {"a": 1}],
)  # fmt: skip
def test_parse_count_refuses_what_is_no_count(value):
    assert parse_count(value) is None


def test_parse_count_takes_counts_up_to_the_bound():
    assert parse_count(str(MAX_COUNT)) == MAX_COUNT
    assert parse_count("0" * 5000 + "42") == 42
    assert parse_count(MAX_COUNT) == MAX_COUNT


GOOD = {
    "good.md": post("Good", "good", "2021-01-01"),
    "also.md": post("Also", "also", "2021-01-02"),
}


def readers(site, slug: str) -> str:
    return meta_line(site.read(f"archives/{slug}/index.html"))


CSV = "path,count\n/archives/good/,12\n/archives/also/,{}\n"
JSON = '{{\n"/archives/good/": 12,\n"/archives/also/": {}\n}}\n'


@pytest.mark.parametrize(
    ("name", "stats", "bad"),
    [("stats.csv", CSV, bad) for bad in ("²", "①", HUGE)]
    + [("stats.json", JSON, bad) for bad in ('"²"', '"①"', HUGE, "1e400", "-3")],
)
def test_a_bad_count_in_a_file_is_skipped_with_file_and_line(
    build_site, minimal_theme, name, stats, bad
):
    site = build_with(
        build_site,
        minimal_theme,
        {**GOOD, name: stats.format(bad)},
        READER_COUNT_FILE=name,
    )
    assert "12位读者" in readers(site, "good")
    assert 'class="readers"' not in readers(site, "also")
    path = site.content / name
    assert len(site.warnings) == 1
    assert site.warnings[0].startswith(f"reader_count: {path}, line 3: count ")
    assert "is not a number from 0 to 1,000,000,000,000,000" in site.warnings[0]
    assert len(site.warnings[0]) < 300  # a 5,000-digit count is not repeated


def test_json_nested_too_deep_is_reported_not_raised(build_site, minimal_theme):
    stats = "[" * 100_000 + "]" * 100_000
    site = build_with(
        build_site,
        minimal_theme,
        {**GOOD, "stats.json": stats},
        READER_COUNT_FILE="stats.json",
    )
    assert site.warnings == [
        f"reader_count: {site.content / 'stats.json'}: not valid JSON (nested too deep)"
    ]
    assert "Body of Good" in site.read("archives/good/index.html")


@pytest.mark.parametrize("bad", ["²", "①", HUGE])
def test_a_bad_readers_metadata_is_skipped_with_file_and_line(
    build_site, minimal_theme, bad
):
    content = {**GOOD, "bad.md": post("Bad", "bad", "2021-01-03", bad)}
    site = build_with(
        build_site,
        minimal_theme,
        {**content, "good.md": post("G", "good", "2021-01-01", "5")},
    )
    assert "5位读者" in readers(site, "good")
    assert 'class="readers"' not in readers(site, "bad")
    assert len(site.warnings) == 1
    assert site.warnings[0].startswith(
        f"reader_count: {site.content / 'bad.md'}, line 4: Readers: "
    )


# --- random stats files at a real build --------------------------------------

CELLS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.text(alphabet=string.digits + "²①١,._ -e+\u00a0", max_size=12),
    st.just(HUGE),
    st.text(max_size=8),
)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(st.text(max_size=12), CELLS), max_size=6),
    as_json=st.booleans(),
)
def test_any_stats_file_builds_and_keeps_the_good_counts(
    build_site, minimal_theme, rows, as_json
):
    """Random rows around one good row: the build ends, the good count shows
    (rows for other paths cannot touch it), every skipped row is reported."""
    rows = [(path.replace("good", "g"), count) for path, count in rows]
    if as_json:
        data = {"/archives/good/": 12, **dict(rows)}
        stats, name = json.dumps(data, ensure_ascii=False), "stats.json"
    else:
        lines = [",".join(f'"{c.replace(chr(34), "")}"' for c in row) for row in rows]
        stats = "path,count\n/archives/good/,12\n" + "\n".join(lines) + "\n"
        name = "stats.csv"
    site = build_with(
        build_site, minimal_theme, {**GOOD, name: stats}, READER_COUNT_FILE=name
    )
    assert "12位读者" in readers(site, "good")
    assert "Body of Also" in site.read("archives/also/index.html")
