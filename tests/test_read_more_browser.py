"""read_more in a real Chromium: cut summaries keep the index page's structure
intact, and the read-more link lands on the place where the marker stood."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

READ_MORE = ["pelican_sujianlin.read_more"]

LONG_INTRO = "\n\n".join(f"Paragraph {n} of a long introduction." for n in range(60))
POSTS = {
    "long.md": (
        "Title: Long\nDate: 2024-01-05\nSlug: long\n\n"
        f"{LONG_INTRO}\n\n<!--more-->\n\nThe part below the fold.\n\n"
        + "\n\n".join(f"Tail {n}." for n in range(60))
    ),
    "list.md": (
        "Title: In a list\nDate: 2024-01-04\nSlug: in-a-list\n\n"
        "- one\n- two <!--more--> three\n- four\n"
    ),
    "quote.md": (
        "Title: In a quote\nDate: 2024-01-03\nSlug: in-a-quote\n\n"
        "> quoted *text\n> <!--more-->\n> still* quoted\n\nAfter.\n"
    ),
    "table.html": (
        "<html><head><title>In a table</title>"
        '<meta name="date" content="2024-01-02" /></head><body>'
        "<table><tr><td>cell <b>bold <!--more--> more</b></td><td>x</td></tr>"
        "</table><p>After the table.</p></body></html>"
    ),
    "div.html": (
        "<html><head><title>In a div</title>"
        '<meta name="date" content="2024-01-01" /></head><body>'
        '<div class="box"><div><p>deep <em>inside <!--more--> here</em></p></div>'
        "</div><p>After.</p></body></html>"
    ),
}


@pytest.fixture
def site(build_site):
    # Relative links, so that the site works where it is served from.
    return build_site(
        POSTS, PLUGINS=READ_MORE, THEME="simple", DEFAULT_LANG="en", RELATIVE_URLS=True
    )


def test_summaries_keep_the_index_structure(site, serve, page):
    with serve(site.output) as base:
        page.goto(f"{base}/index.html")
        shape = page.evaluate(
            """() => Array.from(document.querySelectorAll('article')).map(a => ({
                nested: a.parentElement.closest('article') !== null,
                title: a.querySelector('h2').textContent.trim(),
                last: a.querySelector('section').lastElementChild.className,
                links: a.querySelectorAll('a.read-more').length,
            }))"""
        )
    assert [entry["title"] for entry in shape] == [
        "Long",
        "In a list",
        "In a quote",
        "In a table",
        "In a div",
    ]
    for entry in shape:
        assert entry == {**entry, "nested": False, "last": "read-more", "links": 1}
    assert page.errors == []


def test_read_more_link_lands_where_the_marker_stood(site, serve, page):
    with serve(site.output) as base:
        page.set_viewport_size({"width": 800, "height": 600})
        page.goto(f"{base}/index.html")
        page.locator("a.read-more").first.click()
        page.wait_for_load_state()
        assert page.url == f"{base}/long.html#more"
        landing = page.evaluate(
            """() => ({
                top: document.getElementById('more').getBoundingClientRect().top,
                scrolled: window.scrollY,
                next: document.getElementById('more').nextElementSibling.textContent,
            })"""
        )
    assert landing["scrolled"] > 1000
    assert abs(landing["top"]) < 5
    assert landing["next"] == "The part below the fold."
    assert page.errors == []
