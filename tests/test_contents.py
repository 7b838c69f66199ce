"""Tests of what the plugins share about Pelican's content objects."""

import pytest

from pelican_sujianlin.contents import join_url


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
