"""The citation block's copy button in a real Chromium."""

from __future__ import annotations

import pytest
from conftest import CHROMIUM
from test_citation import KEXUE, PLUGINS, ROPE, write_minimal_theme

pytestmark = pytest.mark.browser
CHROMIUM_PATH = str(CHROMIUM)

BIBTEX = (
    "@online{kexuefm-8265,\n"
    "title={Transformer升级之路：2、博采众长的旋转式位置编码},\n"
    "author={苏剑林},\nyear={2021},\nmonth={Mar},\n"
    "url={\\url{https://kexue.fm/archives/8265}},\n}"
)


@pytest.fixture
def site(build_site, tmp_path):
    theme = write_minimal_theme(tmp_path / "theme")
    return build_site({"rope.md": ROPE}, PLUGINS=PLUGINS, THEME=str(theme), **KEXUE)


def test_copy_button_uses_the_clipboard_when_allowed(site, serve, browser):
    context = browser.new_context()
    try:
        with serve(site.output) as base:
            context.grant_permissions(
                ["clipboard-read", "clipboard-write"], origin=base
            )
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{base}/archives/8265.html")
            assert page.locator("#cite pre").text_content() == BIBTEX
            page.click("#cite .cite-copy")
            page.wait_for_function(
                "document.querySelector('#cite .cite-status').textContent === '已复制'"
            )
            copied = page.evaluate("navigator.clipboard.readText()")
    finally:
        context.close()
    assert copied == BIBTEX
    assert errors == []


def test_copy_button_selects_the_bibtex_without_clipboard_permission(site, serve, page):
    with serve(site.output) as base:
        page.goto(f"{base}/archives/8265.html")
        # Take the Clipboard API away, as a browser that refuses it would.
        page.evaluate(
            """() => Object.defineProperty(navigator, 'clipboard', {value: {
                writeText: () => Promise.reject(new DOMException('denied',
                                                                 'NotAllowedError'))
            }})"""
        )
        page.click("#cite .cite-copy")
        page.wait_for_function(
            "document.querySelector('#cite .cite-status').textContent !== ''"
        )
        selected = page.evaluate("window.getSelection().toString()")
        status = page.locator("#cite .cite-status").text_content()
    assert selected == BIBTEX
    assert status in ("已复制", "已选中，请按 Ctrl+C 复制")
    assert page.locator("[onclick]").count() == 0
    assert page.errors == []


def test_copy_button_works_in_an_insecure_context(site, serve, browser):
    """Over plain http from a non-local name there is no navigator.clipboard."""
    insecure = browser.browser_type.launch(
        executable_path=CHROMIUM_PATH,
        args=["--no-sandbox", "--host-resolver-rules=MAP blog.insecure.test 127.0.0.1"],
    )
    try:
        page = insecure.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        with serve(site.output) as base:
            port = base.rsplit(":", 1)[1]
            page.goto(f"http://blog.insecure.test:{port}/archives/8265.html")
            assert page.evaluate("window.isSecureContext") is False
            assert page.evaluate("typeof navigator.clipboard") == "undefined"
            page.click("#cite .cite-copy")
            page.wait_for_function(
                "document.querySelector('#cite .cite-status').textContent !== ''"
            )
            selected = page.evaluate("window.getSelection().toString()")
    finally:
        insecure.close()
    assert selected == BIBTEX
    assert errors == []
