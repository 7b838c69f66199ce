"""recent_comments.files with broken and hostile comment files: deep reply
trees, reply cycles, quoted YAML dates, dates in the future, random metadata.
The build ends, every problem names its file, and no comment is lost."""

from __future__ import annotations

import re
import string
from datetime import datetime, timedelta, timezone

from conftest import EXAMPLE_SITE, write_content
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pelican_sujianlin.recent_comments import files
from pelican_sujianlin.recent_comments.comment import Comment

SITE = {
    "THEME": str(EXAMPLE_SITE / "theme"),
    "ARTICLE_URL": "archives/{slug}/",
    "ARTICLE_SAVE_AS": "archives/{slug}/index.html",
    "MATHJAX_URL": "mathjax.js",
}
POSTS = {
    "post.md": "Title: 一篇文章\nSlug: post\nDate: 2024-01-01\n\n正文。\n",
    "quiet.md": "Title: 另一篇\nSlug: quiet\nDate: 2024-01-02\n\n另一篇的正文。\n",
}


def comment_file(author: str, date: str, body: str, **meta: str) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in meta.items())
    return f"author: {author}\ndate: {date}\n{extra}\n{body}\n"


def make(slug: str, replyto: str = "", minute: int = 0) -> Comment:
    date = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=minute)
    return Comment(author=slug, date=date, slug=slug, replyto=replyto)


def depth_of(comments, depth=0):
    """The deepest level of a thread (top level: 0), without recursion."""
    deepest, stack = 0, [(c, depth) for c in comments]
    while stack:
        comment, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((reply, level + 1) for reply in comment.replies)
    return deepest


def nesting(html: str) -> int:
    """How deep ``<ol class="comment-replies">`` lists nest in a page."""
    deepest = level = 0
    for tag in re.findall(r'<ol class="comment-replies">|</ol>', html):
        level = level + 1 if tag.startswith("<ol") else max(level - 1, 0)
        deepest = max(deepest, level)
    return deepest


def section(html: str, start: str, end: str = "</section>") -> str:
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


# --- threading, as pure functions ----------------------------------------------


def test_a_chain_deeper_than_the_bound_is_flattened_in_order():
    chain = [make("c0")] + [make(f"c{n}", f"c{n - 1}", n) for n in range(1, 300)]
    top, orphans, cycles = files.thread(chain)
    assert (top, orphans, cycles) == ([chain[0]], [], [])
    assert depth_of(top) == files.MAX_REPLY_DEPTH
    holder = chain[files.MAX_REPLY_DEPTH - 1]
    assert holder.replies == chain[files.MAX_REPLY_DEPTH :]  # in date order
    shown = []
    stack = list(reversed(top))
    while stack:
        comment = stack.pop()
        shown.append(comment)
        stack.extend(reversed(comment.replies))
    assert shown == chain  # every comment, once, in order


def test_flattened_branches_keep_date_order():
    chain = [make("c0")] + [make(f"c{n}", f"c{n - 1}", n) for n in range(1, 4)]
    late = make("late", "c2", 100)  # a reply at depth 3 posted last
    early = make("early", "c3", 50)  # depth 4
    comments = sorted([*chain, late, early], key=lambda c: (c.date, c.slug))
    top, _, _ = files.thread(comments, max_depth=2)
    assert top == [chain[0]]
    assert chain[1].replies == [chain[2], chain[3], early, late]


def test_cycles_are_threaded_from_their_oldest_comment():
    a, b, c = make("a", "c", 1), make("b", "a", 2), make("c", "b", 3)
    hanger = make("hanger", "b", 4)
    alone = make("alone", "alone", 5)
    top, orphans, cycles = files.thread([a, b, c, hanger, alone])
    assert top == [a, alone]
    assert orphans == []
    assert cycles == [[a, b, c], [alone]]
    assert (a.replies, b.replies, c.replies) == ([b], [c, hanger], ())


def test_quoted_dates_parse():
    for value in ('"2024-02-01 10:00"', "'2024-02-01 10:00'", ' "2024-02-01T10:00Z"'):
        assert files.parse_date(value, "UTC") == datetime(
            2024, 2, 1, 10, tzinfo=timezone.utc
        )


def test_yaml_front_matter_loses_its_quotes():
    meta, body = files.split_metadata(
        '---\nauthor: "甲"\ndate: \'2024-02-01\'\nreplyto: "a"\n---\n\n正文\n'
    )
    assert meta == {"author": "甲", "date": "2024-02-01", "replyto": "a"}
    assert body.strip() == "正文"


# --- real builds --------------------------------------------------------------


def test_replies_250_deep_build_and_every_one_is_shown(build_site):
    content = dict(POSTS)
    for n in range(250):
        reply = f"c{n - 1}" if n else ""
        content[f"comments/post/c{n}.md"] = comment_file(
            f"作者{n}",
            (datetime(2024, 2, 1) + timedelta(minutes=n)).isoformat(),
            f"第{n}条回复",
            **({"replyto": reply} if reply else {}),
        )
    site = build_site(content, **SITE)
    assert site.warnings == []
    page = site.read("archives/post/index.html")
    positions = [page.index(f"第{n}条回复<") for n in range(250)]
    assert positions == sorted(positions)  # every reply, in order
    assert nesting(page) == files.MAX_REPLY_DEPTH


def test_a_reply_cycle_is_reported_as_one_and_shown(build_site):
    content = {
        **POSTS,
        "comments/post/a.md": comment_file("甲", "2024-02-01", "甲说", replyto="b"),
        "comments/post/b.md": comment_file("乙", "2024-02-02", "乙说", replyto="a"),
        "comments/post/me.md": comment_file("丙", "2024-02-03", "丙说", replyto="me"),
    }
    site = build_site(content, **SITE)
    folder = site.content / "comments" / "post"
    assert sorted(site.warnings) == [
        f"Comment {folder / 'me.md'} replies to itself: shown at the top level",
        f"Comments {folder / 'a.md'}, {folder / 'b.md'} reply to each other in a "
        f"cycle: the oldest, {folder / 'a.md'}, is shown at the top level",
    ]
    page = site.read("archives/post/index.html")
    assert all(text in page for text in ("甲说", "乙说", "丙说"))
    assert nesting(page) == 1  # b under a


def test_quoted_yaml_dates_keep_the_comment(build_site):
    content = {
        **POSTS,
        "comments/post/a.md": '---\nauthor: "甲"\ndate: "2024-02-01 10:00"\n---\n\n'
        "甲说\n",
        "comments/post/b.md": "author: 乙\ndate: '2024-02-02'\n\n乙说\n",
    }
    site = build_site(content, **SITE)
    assert site.warnings == []
    page = site.read("archives/post/index.html")
    assert "甲说" in page
    assert "乙说" in page
    assert '<span class="comment-author">甲</span>' in page
    assert '<time datetime="2024-02-01T10:00:00+00:00">2024-02-01 10:00</time>' in page
    assert '<time datetime="2024-02-02T00:00:00+00:00">2024-02-02 00:00</time>' in page


def test_a_comment_date_shows_its_day_and_minute():
    zone = timezone(timedelta(hours=8))
    comment = Comment(author="甲", date=datetime(2021, 10, 10, 9, 5, 59, 7, zone))
    assert comment.iso_date == "2021-10-10T09:05:59.000007+08:00"
    assert comment.date_text == "2021-10-10 09:05"


def test_a_comment_from_the_future_warns_and_stays_out_of_the_widget(build_site):
    content = {
        **POSTS,
        "comments/post/future.md": comment_file("未来", "2099-01-01", "来自未来"),
        "comments/post/now.md": comment_file("现在", "2024-02-01", "来自现在"),
        "comments/quiet/then.md": comment_file("过去", "2023-02-01", "来自过去"),
    }
    site = build_site(content, **SITE)
    path = site.content / "comments" / "post" / "future.md"
    assert site.warnings == [
        f"Comment {path} is dated 2099-01-01T00:00:00+00:00, after this build: "
        "shown in its thread, not listed among the recent comments"
    ]
    page = site.read("archives/post/index.html")
    assert "来自未来" in section(page, '<section id="comments"')
    widget = section(page, '<section id="recent-comments"')
    assert "来自未来" not in widget
    assert widget.index("来自现在") < widget.index("来自过去")


# --- random metadata ------------------------------------------------------------

VALUES = st.one_of(
    st.text(max_size=15),
    st.sampled_from(
        ["2024-02-30", "2099-01-01", "0001-01-01", "9999-12-31 23:59", '"2024-01-01"',
         "'", '"', "a", "b", "c", "c1", "g1", "yesterday", "1e9", "²"]
    ),
)  # fmt: skip
KEYS = st.sampled_from(["author", "date", "replyto", "slug", "website", "email"])
NAMES = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=4)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bad=st.lists(
        st.tuples(
            NAMES, st.dictionaries(KEYS, VALUES, max_size=6), st.text(max_size=20)
        ),
        max_size=5,
    )
)
def test_random_comment_files_leave_the_good_ones_shown(build_site, bad):
    """Random metadata in files beside two good comments (one a reply): the
    build ends and both good comments are on the page, each once."""
    content = {
        **POSTS,
        "comments/post/g1.md": comment_file("好甲", "2024-02-01", "GOODONE"),
        "comments/post/g2.md": comment_file(
            "好乙", "2024-02-02", "GOODTWO", replyto="g1"
        ),
    }
    for name, meta, body in bad:
        lines = "".join(
            f"{key}: {value.replace(chr(10), ' ').replace(chr(13), ' ')}\n"
            for key, value in meta.items()
        )
        content[f"comments/post/x{name}.md"] = f"{lines}\n{body}\n"
    site = build_site(content, **SITE)
    page = site.read("archives/post/index.html")
    thread = section(page, '<section id="comments"')
    assert thread.count("GOODONE") == 1
    assert thread.count("GOODTWO") == 1
    assert "另一篇的正文" in site.read("archives/quiet/index.html")


def test_a_symlink_loop_among_comments_is_skipped_with_a_warning(build_site, tmp_path):
    content = tmp_path / "looped"
    write_content(
        content,
        {**POSTS, "comments/post/ok.md": comment_file("甲", "2024-02-01", "甲说")},
    )
    folder = content / "comments" / "post"
    (folder / "a.md").symlink_to("b.md")
    (folder / "b.md").symlink_to("a.md")
    (content / "comments" / "quiet").symlink_to("quiet")  # a folder looping too
    site = build_site(content, **SITE)  # no OSError (ELOOP)
    assert "甲说" in site.read("archives/post/index.html")
    for name in ("a.md", "b.md"):
        assert any(name in w and "not a Markdown file" in w for w in site.warnings)
    assert any("quiet" in w and "not inside" in w for w in site.warnings)
