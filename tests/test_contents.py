"""Tests of what the plugins share about Pelican's content objects."""

import sys
from urllib.parse import urljoin

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pelican.contents import Article
from pelican.readers import Readers
from pelican.settings import read_settings
from pelican.utils import SafeDatetime

from pelican_sujianlin.contents import (
    READERS_KEY,
    compact_attributes,
    join_url,
    pin_urls,
    replace_reader_output,
    take_cached_metadata,
)


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


URL_PIECES = st.sampled_from(
    [
        "a",
        "b.html",
        "/",
        ".",
        "..",
        "./",
        "../",
        ":",
        "?",
        "#",
        "%2e",
        "x:y",
        "//",
        " ",
        "\t",
        "\x01",
        "é",
    ]
)


@given(
    siteurl=st.tuples(
        st.sampled_from(["https://host", "HTTP://host", "//host", "/blog", ""]),
        st.lists(URL_PIECES, max_size=5).map("".join),
    ).map("".join),
    url=st.lists(URL_PIECES, max_size=6).map("".join),
)
def test_join_url_is_urljoin(siteurl, url):
    """The shortcut for plain paths gives what urljoin gives, for any URL
    and any base."""
    base = siteurl if siteurl.endswith("/") else siteurl + "/"
    assert join_url(siteurl, url) == urljoin(base, url)


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


def article(**metadata) -> Article:
    settings = read_settings(override={"ARTICLE_URL": "{date:%Y}/{slug}/"})
    settings["PATH"] = "/site"
    metadata = {"title": "T", "date": SafeDatetime(2024, 5, 6), **metadata}
    return Article("<p>x</p>", metadata, settings, "/site/post.md", {})


def test_pin_urls_keeps_what_pelican_computed():
    post = article(slug="first")
    url, save_as = post.url, post.save_as
    pin_urls(post)
    assert (post.url, post.save_as) == (url, save_as) == ("2024/first/", "first.html")
    post.slug = "renamed"  # after the pin nothing is computed again
    assert post.url == "2024/first/"


def test_pin_urls_keeps_equal_url_and_save_as_as_one_string():
    post = Article("<p>x</p>", {"title": "T", "slug": "s"}, read_settings(), "p.md", {})
    pin_urls(post)
    assert post.url == post.save_as == "s.html"
    assert post.override_save_as is post.override_url


def test_pin_urls_leaves_an_override_from_the_metadata():
    post = article(slug="first", url="elsewhere/")
    pin_urls(post)
    assert post.url == "elsewhere/"
    assert post.save_as == "first.html"


def test_reader_output_is_replaced_only_when_the_cache_holds_it(tmp_path):
    source_file = tmp_path / "post.md"
    source_file.write_text("Title: T\n\nx\n", encoding="utf-8")
    settings = read_settings(
        override={
            "PATH": str(tmp_path),
            "CACHE_PATH": str(tmp_path / "cache"),
            "CACHE_CONTENT": True,
        }
    )
    readers = Readers(settings, "test-Readers")
    source = "<p>x</p>"
    path = str(source_file)
    readers.cache_data(path, (source, {"title": "T"}))
    post = Article(source, {"title": "T"}, settings, path, {READERS_KEY: [readers]})
    copy = "".join(["<p>", "x</p>"])
    assert not replace_reader_output(post, copy, "<p>y</p>", {"_mine": 1})
    assert replace_reader_output(post, source, "<p>y</p>", {"_mine": 1})
    assert readers.get_cached_data(path) == ("<p>y</p>", {"title": "T", "_mine": 1})
    cached = Article("<p>y</p>", {"title": "T", "_mine": 1}, settings, path, {})
    assert take_cached_metadata(cached, "_mine") == 1
    assert "_mine" not in cached.metadata
    assert not hasattr(cached, "_mine")
    assert take_cached_metadata(cached, "_mine") is None
