"""Tests of the recent_comments plugin."""

from __future__ import annotations

POST = "Title: 第一篇\nDate: 2024-02-01\nSlug: first\n\n正文。\n"
COMMENT = "author: 读者\ndate: 2024-02-02 10:00\n\n一条评论。\n"


def test_comment_files_are_not_articles_pages_or_static(build_site):
    site = build_site(
        {
            "first.md": POST,
            "comments/first/1.md": COMMENT,
            "pages/about.md": "Title: 关于\n\n关于本站。\n",
        },
        STATIC_PATHS=["", "images"],
    )
    names = set(site.files())
    assert "first.html" in names
    assert not any("comments" in name for name in names), names
    assert "一条评论" not in site.read("index.html")
