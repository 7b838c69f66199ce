"""recent_comments with a real Isso server: posts through its HTTP API, builds
from its database, and a real browser refreshing the widget from ``/latest``.

The server runs as a subprocess on 127.0.0.1 with its configuration and
database in ``tmp_path``; moderation is on, so each comment is published the
way a site owner does it: by the activation link Isso logs for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from test_recent_comments import isso_db, post, theme_overrides

from pelican_sujianlin.recent_comments import isso as isso_module

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

pytestmark = pytest.mark.isso

try:
    import isso  # noqa: F401
except ImportError:  # pragma: no cover
    if IN_CI:
        raise
    pytest.skip("these tests need the isso package", allow_module_level=True)


ISSO_COMMAND = (sys.executable, "-c", "from isso import main; main()")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class IssoServer:
    """A running Isso process; ``post`` publishes unless ``publish=False``."""

    def __init__(self, folder: Path, site_origin: str, port: int) -> None:
        self.db = folder / "comments.db"
        self.log = folder / "isso.log"
        self.url = f"http://127.0.0.1:{port}"
        self.config = folder / "isso.cfg"
        self.config.write_text(
            f"[general]\ndbpath = {self.db}\nhost = {site_origin}\n"
            "latest-enabled = true\nnotify = stdout\n"
            f"[server]\nlisten = http://127.0.0.1:{port}/\n"
            "[moderation]\nenabled = true\n"
            "[guard]\nenabled = false\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [*ISSO_COMMAND, "-c", str(self.config), "run"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Isso exited: {self.log.read_text()}")
            try:
                self.request("GET", "/latest?limit=1")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"Isso did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def request(self, method: str, path: str, data=None) -> tuple[int, object]:
        body = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(
            self.url + path,
            data=body,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def post(self, uri: str, text: str, *, publish: bool = True, **fields) -> dict:
        fields.setdefault("title", "t")
        status, comment = self.request(
            "POST",
            f"/new?uri={urllib.parse.quote(uri, safe='')}",
            {"text": text, **fields},
        )
        assert status == 202, (status, comment)  # 202: awaiting moderation
        if publish:
            self.moderate(comment["id"], "activate")
        time.sleep(0.02)  # distinct `created` times
        return comment

    def moderate(self, comment_id: int, action: str) -> None:
        pattern = rf"(http://\S+/id/{comment_id}/{action}/\S+)"
        match = re.search(pattern, self.log.read_text())
        assert match, f"no {action} link for comment {comment_id}"
        status, answer = self.request("POST", urllib.parse.urlsplit(match[1]).path)
        assert status == 200, (status, answer)

    def latest(self, limit: int) -> list[dict]:
        status, answer = self.request("GET", f"/latest?limit={limit}")
        assert status == 200, answer
        return answer


@contextlib.contextmanager
def isso_server(folder: Path, site_origin: str) -> Iterator[IssoServer]:
    folder.mkdir(parents=True, exist_ok=True)
    server = IssoServer(folder, site_origin, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


ARTICLES = {
    "first.md": post("first", 1, "第一篇"),
    "second.md": post("second", 2, "第二篇"),
    "zh.md": post("中文", 3, "中文标题"),
}
HOSTILE = [
    (
        "/first.html",
        "<script>alert(1)</script> 第一条",
        {"author": "<script>a()</script>"},
    ),
    ("/first.html", "<img src=x onerror=alert(2)> 图", {"author": "img"}),
    ("/second.html/", "[click](javascript:alert(3)) link", {"author": "js"}),
    ("https://blog.example.test/second.html", "&lt;script&gt;x&lt;/script&gt;", {}),
    ("/%E4%B8%AD%E6%96%87.html", "很长" * 3000, {"author": "&lt;b&gt;粗&amp;"}),
    ("/first.html", "公式 $E=mc^2$ **粗体**", {"email": "secret@example.com"}),
]


def published_site(server: IssoServer) -> list[dict]:
    """Post the hostile set, one pending comment and one deleted comment."""
    posted = [server.post(uri, text, **fields) for uri, text, fields in HOSTILE]
    server.post("/first.html", "PENDING-SECRET text", author="pending", publish=False)
    doomed = server.post("/second.html", "DELETED-SECRET text", author="doomed")
    server.post("/second.html", "reply to the deleted one", parent=doomed["id"])
    server.moderate(doomed["id"], "delete")
    server.post("/no-such-post.html", "on a thread with no article", author="lost")
    return posted


def widget_entries(html_text: str) -> list[tuple[str, str, str, str]]:
    widget = BeautifulSoup(html_text, "html.parser").find(
        "section", id="recent-comments"
    )
    return [
        (
            li.find(class_="comment-author").get_text(),
            li.find(class_="comment-excerpt").get_text(),
            li.a["href"],
            li.cite.get_text() if li.cite else "",
        )
        for li in widget.find_all("li")
    ]


def test_site_built_from_isso_database(build_site, tmp_path):
    theme = theme_overrides(tmp_path / "overrides")
    with isso_server(tmp_path / "isso", "http://127.0.0.1:9") as server:
        posted = published_site(server)
        latest = server.latest(50)
        site = build_site(
            ARTICLES,
            THEME_TEMPLATES_OVERRIDES=[theme],
            ISSO_DB=str(server.db),
            RECENT_COMMENTS_COUNT=6,
        )
    entries = widget_entries(site.read("index.html"))
    ids = [int(href.rsplit("-", 1)[1]) for _, _, href, _ in entries]
    # newest first, only published comments on known articles, at most 6
    known = [c for c in reversed(latest) if c["uri"] != "/no-such-post.html"]
    assert ids == [c["id"] for c in known][:6]
    assert "doomed" not in [c["author"] for c in latest]
    by_id = dict(zip(ids, entries, strict=True))
    first, img, js, entity, long, math = (by_id.get(c["id"]) for c in posted)
    assert first is None  # the oldest falls off the list of six
    assert img == (
        "img",
        "<img src=x onerror=alert(2)> 图",
        f"https://blog.example.test/first.html#isso-{posted[1]['id']}",
        "第一篇",
    )
    assert js[1] == "click link"
    assert js[2].startswith("https://blog.example.test/second.html#isso-")
    assert entity[1] == "&lt;script&gt;x&lt;/script&gt;"
    assert entity[3] == "第二篇"
    assert (
        long[0] == "&lt;b&gt;粗&amp;"
    )  # as typed: Isso escaped it once, we decode once
    assert long[1] == "很长" * 17 + "很…"
    assert long[3] == "中文标题"
    assert math[1] == "公式 E=mc^2 粗体"
    output = "\n".join(
        b.decode() for n, b in site.files().items() if n.endswith(".html")
    )
    for secret in (
        "PENDING-SECRET",
        "DELETED-SECRET",
        "secret@example.com",
        "127.0.0.",
    ):
        assert secret not in output
    assert any(
        "match no article" in w and "/no-such-post.html" in w for w in site.warnings
    ), site.warnings
    assert "<script" not in output


def test_build_does_not_touch_the_database(build_site, tmp_path):
    with isso_server(tmp_path / "isso", "http://127.0.0.1:9") as server:
        server.post("/first.html", "hello", author="a")
    before = server.db.read_bytes()
    build_site(ARTICLES, ISSO_DB=str(server.db))
    assert server.db.read_bytes() == before
    assert not Path(str(server.db) + "-journal").exists()


@pytest.mark.browser
def test_widget_refreshes_from_isso_and_keeps_list_offline(
    build_site, serve, page, tmp_path
):
    theme = theme_overrides(tmp_path / "overrides")
    www = tmp_path / "www"
    www.mkdir()
    with serve(www) as origin:
        with isso_server(tmp_path / "isso", origin) as server:
            published_site(server)
            site = build_site(
                ARTICLES,
                THEME_TEMPLATES_OVERRIDES=[theme],
                ISSO_DB=str(server.db),
                ISSO_URL=server.url,
                RECENT_COMMENTS_COUNT=5,
            )
            shutil.copytree(site.output, www, dirs_exist_ok=True)
            built = widget_entries(site.read("first.html"))
            assert len(built) == 5

            page.goto(f"{origin}/first.html")
            page.wait_for_selector("#recent-comments[data-refreshed]", state="attached")
            assert browser_entries(page) == built  # from /latest: the same list
            # Isso's own client shows the thread under the post
            page.wait_for_selector("#isso-thread .isso-comment", state="attached")

            new = server.post(
                "/first.html",
                "<img src=x onerror=__xss=1>新评论 $x$",
                author="<b onmouseover=__xss=1>新读者</b>",
            )
            page.reload()
            page.wait_for_selector("#recent-comments[data-refreshed]", state="attached")
            entries = browser_entries(page)
            assert entries[0] == (
                "<b onmouseover=__xss=1>新读者</b>",
                "<img src=x onerror=__xss=1>新评论 x",
                f"https://blog.example.test/first.html#isso-{new['id']}",
                "第一篇",
            )
            assert entries[1:] == built[:4]
            assert page.evaluate("window.__xss") is None
            assert page.locator("#recent-comments img, #recent-comments b").count() == 0

        # the Isso server is stopped: the list built into the page stays
        page.reload(wait_until="networkidle")
        page.wait_for_timeout(300)
        assert page.locator("#recent-comments[data-refreshed]").count() == 0
        assert browser_entries(page) == built
    assert page.errors == []


@pytest.mark.browser
def test_widget_cuts_live_excerpts_as_the_build_does(build_site, serve, page, tmp_path):
    """The script that refreshes the widget from Isso cuts an excerpt as
    excerpt.py does: an environment is one formula, counted as typed, kept
    whole or left out, never cut inside."""
    theme = theme_overrides(tmp_path / "overrides")
    www = tmp_path / "www"
    www.mkdir()
    texts = [
        r"开头就是环境 \begin{cases}x & y\end{cases} 然后是很长的一段后文，后文后文",
        r"前面的文字有二十个字左右吧，再多一些字 \begin{matrix}a & b\end{matrix} 后",
        r"\begin{pmatrix}1 & 2\end{pmatrix} 环境开头，后面还有很多很多很多很多的字",
        r"短 \begin{vmatrix}p\end{vmatrix} 短",
    ]
    with serve(www) as origin, isso_server(tmp_path / "isso", origin) as server:
        for text in texts:
            server.post("/first.html", text, author="甲")
        site = build_site(
            ARTICLES,
            THEME_TEMPLATES_OVERRIDES=[theme],
            ISSO_DB=str(server.db),
            ISSO_URL=server.url,
            RECENT_COMMENTS_EXCERPT=30,
        )
        shutil.copytree(site.output, www, dirs_exist_ok=True)
        built = widget_entries(site.read("first.html"))
        assert len(built) == len(texts)
        excerpts = [entry[1] for entry in reversed(built)]  # oldest first
        assert excerpts[0] == "开头就是环境…"  # the environment would pass 30
        assert excerpts[2] == "\\begin{pmatrix}1 & 2\\end{pmatrix}…"  # first: whole
        page.goto(f"{origin}/first.html")
        page.wait_for_selector("#recent-comments[data-refreshed]", state="attached")
        assert browser_entries(page) == built
    assert page.errors == []


def browser_entries(page) -> list[tuple[str, str, str, str]]:
    return [
        tuple(row)
        for row in page.evaluate(
            """() => Array.from(document.querySelectorAll('#recent-comments li'))
                .map(li => [li.querySelector('.comment-author').textContent,
                            li.querySelector('.comment-excerpt').textContent,
                            li.querySelector('a').getAttribute('href'),
                            (li.querySelector('cite') || {}).textContent || ''])"""
        )
    ]


# --- a database held by a writer: nothing published may vanish --------------


def many_comments(db: Path, count: int = 400) -> Path:
    """A database in Isso's schema with ``count`` published comments, big
    enough that a writer with a tiny cache spills pages into the file."""
    rows = [
        (1, 1_700_000_000 + i, 1, f"评论 {i} " + "长" * 300, f"读者{i}", None, None, "")
        for i in range(count)
    ]
    return isso_db(db, {1: "/first.html"}, rows)


def excerpts_of(site) -> list[str]:
    return [e[0] for e in widget_entries(site.read("index.html"))]


def build_from(build_site, folder: Path, db: Path, count: int):
    theme = theme_overrides(folder / "overrides")
    return build_site(
        ARTICLES,
        THEME_TEMPLATES_OVERRIDES=[theme],
        ISSO_DB=str(db),
        RECENT_COMMENTS_COUNT=count,
    )


WRITER = """
import os, signal, sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA cache_size=1")  # every change reaches the file
connection.execute("BEGIN")
connection.execute("UPDATE comments SET author = 'UNCOMMITTED', mode = 1")
connection.execute("DELETE FROM comments WHERE id % 2 = 0")
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)  # Isso killed mid-write
sys.stdout.write("holding\\n")
sys.stdout.flush()
sys.stdin.read()  # holds the write lock until the test closes stdin
"""


def test_hot_journal_of_a_killed_writer_hides_nothing(build_site, tmp_path):
    db = many_comments(tmp_path / "comments.db")
    done = subprocess.run([sys.executable, "-c", WRITER, str(db), "kill"], check=False)
    assert done.returncode == -9
    journal = Path(f"{db}-journal")
    assert journal.stat().st_size > 0  # a hot journal, as Isso would leave it
    before = (db.read_bytes(), journal.read_bytes())
    # the old reader's way fails on it: a read-only connection cannot roll back
    with pytest.raises(sqlite3.OperationalError):
        isso_module.connect_read_only(db).execute("SELECT * FROM comments").fetchall()
    site = build_from(build_site, tmp_path, db, 400)
    authors = excerpts_of(site)
    assert len(authors) == 400
    assert "UNCOMMITTED" not in authors
    assert (db.read_bytes(), journal.read_bytes()) == before  # never written


@pytest.mark.parametrize("mode", ["exclusive", "writer"])
def test_database_locked_by_a_writer_hides_nothing(build_site, tmp_path, mode):
    db = many_comments(tmp_path / "comments.db")
    if mode == "exclusive":
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        release = holder.close
    else:  # another process in the middle of a big write
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), "hold"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout.readline() == "holding\n"

        def release():
            writer.stdin.close()
            writer.wait(timeout=10)

    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            isso_module.connect_read_only(db, 0.1).execute(
                "SELECT * FROM comments"
            ).fetchall()
        site = build_from(build_site, tmp_path, db, 400)
    finally:
        release()
    authors = excerpts_of(site)
    assert len(authors) == 400
    assert "UNCOMMITTED" not in authors


def test_build_while_a_real_isso_writes_keeps_every_published_comment(
    build_site, tmp_path
):
    with isso_server(tmp_path / "isso", "http://127.0.0.1:9") as server:
        published = [
            server.post("/first.html", f"已发表 {i}", author=f"a{i}") for i in range(8)
        ]
        stop = threading.Event()
        written = []

        def keep_writing():
            while not stop.is_set():
                written.append(server.post("/second.html", "写入中", author="w"))

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            while len(written) < 2:
                time.sleep(0.05)
            sites = [build_from(build_site, tmp_path, server.db, 500) for _ in range(3)]
        finally:
            stop.set()
            writer.join(timeout=30)
    assert len(written) >= 3
    for site in sites:
        hrefs = [entry[2] for entry in widget_entries(site.read("index.html"))]
        for comment in published:
            assert any(h.endswith(f"#isso-{comment['id']}") for h in hrefs)


def test_unreadable_database_is_one_clear_error_from_the_command_line(tmp_path):
    db = tmp_path / "broken.db"
    db.write_bytes(b"not a database" * 100)
    content = tmp_path / "content"
    content.mkdir()
    (content / "first.md").write_text(ARTICLES["first.md"], encoding="utf-8")
    config = tmp_path / "conf.py"
    config.write_text(
        f"PATH = {str(content)!r}\nOUTPUT_PATH = {str(tmp_path / 'out')!r}\n"
        f"PLUGINS = ['pelican_sujianlin']\nISSO_DB = {str(db)!r}\n"
        "TIMEZONE = 'UTC'\nSITEURL = ''\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pelican", "-s", str(config)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "COLUMNS": "1000"},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output
    assert f"Isso database {db} (ISSO_DB) cannot be read" in " ".join(output.split())
    assert "ISSO_DB_REQUIRED = False" in " ".join(output.split())


@pytest.mark.browser
def test_live_isso_comments_are_never_typeset(build_site, serve, page, tmp_path):
    """Comments Isso's client loads in the browser never reach MathJax: the
    thread and the refreshed widget are mathjax_ignore, whenever they load."""
    theme = tmp_path / "overrides"
    theme_overrides(theme)
    (theme / "base.html").write_text(
        '{% extends "!simple/base.html" %}{% block head %}{{ super() }}'
        '{% include "sujianlin/mathjax.html" %}{% endblock %}{% block footer %}'
        '{% include "sujianlin/recent_comments.html" %}{{ super() }}{% endblock %}',
        encoding="utf-8",
    )
    www = tmp_path / "www"
    www.mkdir()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with (
        serve(
            www, {"/node_modules": Path(__file__).parent.parent / "node_modules"}
        ) as origin,
        isso_server(tmp_path / "isso", origin) as server,
    ):
        for text in (
            r"$\href{javascript:alert(1)}{点我}$",
            r"\(\style{position:fixed;top:0;left:0;width:100vw;height:100vh}{x}\)",
            r"$$\href{javascript:alert(2)}{y}$$",
        ):
            server.post("/first.html", text, author=r"$\href{javascript:alert(3)}{z}$")
        site = build_site(
            {**ARTICLES, "first.md": ARTICLES["first.md"] + "\n公式 $E=mc^2$\n"},
            SITEURL="",
            THEME_TEMPLATES_OVERRIDES=[str(theme)],
            ISSO_URL=server.url,
            MATHJAX_URL="/node_modules/mathjax/tex-mml-chtml.js",
        )
        shutil.copytree(site.output, www, dirs_exist_ok=True)
        page.goto(f"{origin}/first.html")
        page.wait_for_selector("#isso-thread .isso-comment", state="attached")
        page.wait_for_selector("#recent-comments[data-refreshed]", state="attached")
        page.wait_for_function("() => window.MathJax?.startup?.promise !== undefined")
        page.evaluate("() => MathJax.startup.promise")
        # as a theme that typesets new content would: the whole page again
        page.evaluate("() => MathJax.typesetPromise()")
        assert page.locator("mjx-container").count() >= 1  # the post's own math
        assert page.locator("#isso-thread mjx-container").count() == 0
        assert page.locator("#recent-comments mjx-container").count() == 0
        links = page.evaluate(
            "() => Array.from(document.querySelectorAll('[href]'))"
            ".map(a => a.getAttribute('href'))"
            ".filter(h => /^\\s*(javascript|data|vbscript):/i.test(h))"
        )
        assert links == []
        texts = page.locator("#isso-thread .isso-comment .isso-text")
        shown = [
            texts.nth(i) for i in range(texts.count()) if texts.nth(i).is_visible()
        ]
        assert len(shown) == 3
        for text in shown:
            text.click(force=True)
        assert page.evaluate("() => window.__xss") is None
        assert dialogs == []
