"""Live reader counts in a real Chromium, against a fake GoatCounter on 127.0.0.1."""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from test_reader_count import KEXUE_URLS, PLUGINS, make_minimal_theme, post

pytestmark = pytest.mark.browser


@pytest.fixture
def minimal_theme(tmp_path):
    return make_minimal_theme(tmp_path / "minimal_theme")


POSTS = {
    "rope.md": post("RoPE", "8265", "2021-03-23", "73091"),
    "attention.md": post("Attention", "7921", "2020-11-02", "500"),
    "chinese.md": post("中文的文章", "中文", "2022-05-03", "10"),
    "unknown.md": post("Unknown to GoatCounter", "unknown", "2019-01-01", "7"),
    "pages/about.md": "Title: About\nSlug: about\n\nNo meta line here.",
}
# What the fake GoatCounter knows, keyed by the path as count.js records it
# (location.pathname, percent-encoded); counts formatted as GoatCounter does.
LIVE = {
    "/archives/8265/": "80,000",
    "/archives/7921/": "100",
    "/archives/%E4%B8%AD%E6%96%87/": "20",
}


@contextlib.contextmanager
def fake_goatcounter(counts: dict[str, str]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``/counter/PATH.json`` like GoatCounter's visitor counter."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            name = self.path.removeprefix("/counter/").removesuffix(".json")
            count = counts.get(unquote(name))
            body = json.dumps({"count": count, "count_unique": count}).encode()
            self.send_response(200 if count is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            if count is not None:
                self.wfile.write(body)

        def log_message(self, format, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def readers_texts(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries(Array.from(
            document.querySelectorAll('.post-meta .readers'),
            span => [span.getAttribute('data-path'), span.textContent]))"""
    )


def test_live_counts_replace_smaller_built_counts(
    build_site, minimal_theme, serve, page
):
    with fake_goatcounter(LIVE) as (goatcounter, requests):
        site = build_site(
            POSTS,
            PLUGINS=PLUGINS,
            THEME=str(minimal_theme),
            READER_COUNT_LIVE=goatcounter,
            **KEXUE_URLS,
        )
        with serve(site.output) as base:
            page.goto(f"{base}/archives/8265/")
            page.wait_for_function(
                "document.querySelector('.post-meta .readers').textContent"
                " === '80000位读者'"
            )
            # Let the article page's own fetches finish before counting.
            page.wait_for_load_state("networkidle")
            # On the index every post's count is fetched, each once.
            before = len(requests)
            page.goto(f"{base}/")
            page.wait_for_load_state("networkidle")
            page.wait_for_function(
                "Array.from(document.querySelectorAll('.readers'))"
                ".some(s => s.textContent === '20位读者')"
            )
            texts = readers_texts(page)
            popular = page.locator("#popular .readers").all_text_contents()
            index_requests = requests[before:]
            # A page without a meta line: popular.html brings the script itself.
            page.goto(f"{base}/pages/about.html")
            page.wait_for_function(
                "document.querySelector('#popular .readers').textContent"
                " === '80000位读者'"
            )
            about = page.locator("#popular .readers").all_text_contents()
            assert page.locator(".post-meta").count() == 0
    assert texts == {
        "/archives/8265/": "80000位读者",  # larger live count shown
        "/archives/7921/": "500位读者",  # smaller live count ignored
        "/archives/%E4%B8%AD%E6%96%87/": "20位读者",  # Chinese slug, encoded path
        "/archives/unknown/": "7位读者",  # GoatCounter answers 404: built count
    }
    assert popular == ["80000位读者", "500位读者", "20位读者", "7位读者"]
    assert about == popular
    assert len(index_requests) == 4
    assert sorted(index_requests) == sorted(set(index_requests))
    assert "/counter/%2Farchives%2F8265%2F.json" in requests
    assert page.locator("[onclick], [onload], [onerror]").count() == 0
    assert page.errors == []


def test_grouped_format_is_kept_when_updating(build_site, minimal_theme, serve, page):
    with fake_goatcounter({"/archives/8265/": "1,234,567"}) as (goatcounter, _):
        site = build_site(
            {"rope.md": POSTS["rope.md"]},
            PLUGINS=PLUGINS,
            THEME=str(minimal_theme),
            READER_COUNT_LIVE=goatcounter,
            READER_COUNT_FORMAT="阅读 {count:,} 次",
            **KEXUE_URLS,
        )
        with serve(site.output) as base:
            page.goto(f"{base}/archives/8265/")
            page.wait_for_function(
                "document.querySelector('.post-meta .readers').textContent"
                " === '阅读 1,234,567 次'"
            )
    assert page.errors == []


def test_endpoint_down_keeps_the_built_counts(build_site, minimal_theme, serve, page):
    site = build_site(
        POSTS,
        PLUGINS=PLUGINS,
        THEME=str(minimal_theme),
        READER_COUNT_LIVE=closed_port_url(),
        **KEXUE_URLS,
    )
    with serve(site.output) as base:
        page.goto(f"{base}/")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        texts = readers_texts(page)
    assert texts == {
        "/archives/8265/": "73091位读者",
        "/archives/7921/": "500位读者",
        "/archives/%E4%B8%AD%E6%96%87/": "10位读者",
        "/archives/unknown/": "7位读者",
    }
    assert page.errors == []
