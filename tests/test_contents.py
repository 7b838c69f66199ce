"""Tests of what the plugins share about Pelican's content objects."""

import sys

import pytest

from pelican_sujianlin.contents import compact_attributes, join_url


@pytest.mark.parametrize(
    ("siteurl", "relative", "url", "joined"),
    [
        ("https://host", False, "a.html", "https://host/a.html"),
        ("https://host/blog", False, "a.html", "https://host/blog/a.html"),
        ("https://host/blog/", False, "archives/a/", "https://host/blog/archives/a/"),
        ("", False, "a.html", "/a.html"),
        (".", True, "a.html", "./a.html"),
        ("../..", True, "archives/a/", "../../archives/a/"),
        ("https://host/blog", True, "a.html", "https://host/blog/a.html"),
    ],
)
def test_join_url_follows_pelican(siteurl, relative, url, joined):
    assert join_url(siteurl, url, relative) == joined


class Record:
    """A class whose instances share their attribute names (CPython)."""


def record_with(names: int) -> Record:
    record = Record()
    for number in range(names):
        setattr(record, f"field{number}", number)
    return record


def test_compact_attributes_shrinks_a_dict_grown_past_the_shared_names():
    records = [record_with(36) for _ in range(3)]  # more names than CPython shares
    record = records[-1]
    before = dict(vars(record))
    grown = sys.getsizeof(vars(record))
    compact_attributes(record)
    assert vars(record) == before
    assert sys.getsizeof(vars(record)) < grown
    record.field36 = "still an ordinary object"
    assert record.field36 == "still an ordinary object"


def test_compact_attributes_keeps_a_dict_already_compact():
    record = record_with(36)
    compact_attributes(record)
    attributes = vars(record)
    compact_attributes(record)
    assert vars(record) is attributes
