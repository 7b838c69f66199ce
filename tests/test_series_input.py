"""series with hostile numbers: an index past int()'s 4,300-digit limit in
``Series_index:`` or a title is no index (a warning, not a crash)."""

from __future__ import annotations

import pytest

from pelican_sujianlin.series.numerals import MAX_NUMBER, parse_number

HUGE = "9" * 5000


@pytest.mark.parametrize(
    "text", [HUGE, "１" * 5000, "一" * 5000, str(MAX_NUMBER + 1), "²", "①"]
)
def test_parse_number_refuses_what_no_series_has(text):
    assert parse_number(text) is None


def test_parse_number_keeps_ordinary_numbers():
    assert [
        parse_number(t) for t in ("0" * 5000 + "3", "１２", "二〇二四", "十五")
    ] == [
        3,
        12,
        2024,
        15,
    ]
    assert parse_number(str(MAX_NUMBER)) == MAX_NUMBER


def test_a_huge_series_index_warns_and_the_series_builds(build_site):
    content = {
        "a.md": f"Title: A\nSeries: S\nSeries_index: {HUGE}\nDate: 2024-01-01\n\nx",
        "b.md": "Title: B\nSeries: S\nSeries_index: 2\nDate: 2024-01-02\n\ny",
    }
    site = build_site(content)
    assert len(site.warnings) == 1
    assert site.warnings[0].startswith("a.md: Series_index '999")
    assert site.warnings[0].endswith("placing the post by its date")
    assert site.exists("a.html")
    series_page = site.read("series/s.html")  # both parts
    assert 'href="https://blog.example.test/a.html"' in series_page
    assert 'href="https://blog.example.test/b.html"' in series_page


@pytest.mark.parametrize("save_as", ["../../etc/x.html", "/abs/series.html"])
def test_a_series_index_outside_the_output_warns_and_the_default_is_used(
    build_site, save_as
):
    content = {
        "a.md": "Title: A\nSeries: S\nDate: 2024-01-01\n\nx",
        "b.md": "Title: B\nSeries: S\nDate: 2024-01-02\n\ny",
    }
    site = build_site(content, SERIES_INDEX_SAVE_AS=save_as)  # no RuntimeError
    assert any("SERIES_INDEX_SAVE_AS" in w for w in site.warnings)
    assert site.exists("series/index.html")
