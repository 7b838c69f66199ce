"""Pelican's content cache and ``pelican --autoreload`` give a clean build's bytes.

With ``CACHE_CONTENT`` and ``LOAD_CONTENT_CACHE`` on, unchanged files come back
from the cache as pickled Content objects and ``content_object_init`` is not
sent for them again: whatever the plugins compute across articles (series,
comments, reader counts, cross-article equation references, popular list)
must still come out as in a build from scratch. ``--autoreload`` runs many
builds in one process: nothing may be counted twice or go stale.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_SETTINGS, isolated_signals, reset_warning_filter, run_pelican
from pelican import Pelican
from pelican.plugins import signals
from pelican.readers import MarkdownReader
from pelican.settings import read_settings

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import generate, run  # noqa: E402

PROBE_V1 = r"""Title: 缓存测试
Date: 2030-01-01 10:00
Slug: probe
Tags: 缓存

先看后文的式$\eqref{eq:b}$，再看式$\eqref{eq:a}$。

\begin{equation}a = 1\label{eq:a}\end{equation}

<!--more-->

\begin{equation}b = 2\label{eq:b}\end{equation}

由式$\eqref{eq:a}$和式$\eqref{eq:b}$可知结论成立。
"""

# One more numbered equation before eq:a, and eq:b renamed to eq:c.
PROBE_V2 = r"""Title: 缓存测试
Date: 2030-01-01 10:00
Slug: probe
Tags: 缓存

先看后文的式$\eqref{eq:c}$，再看式$\eqref{eq:a}$。

\begin{equation}z = 0\label{eq:z}\end{equation}

\begin{equation}a = 1\label{eq:a}\end{equation}

<!--more-->

\begin{equation}b = 2\label{eq:c}\end{equation}

由式$\eqref{eq:a}$和式$\eqref{eq:c}$可知结论成立。
"""

CITING = r"""Title: 引用缓存测试的公式
Date: 2029-12-01 10:00
Slug: citing

上一篇的式$\eqref{probe/eq:a}$仍然成立。
"""


def series_part(number: int, numeral: str) -> str:
    return (
        f"Title: 缓存之路（{numeral}）：第{number}部分\n"
        f"Date: 2029-0{number}-01 10:00\nSlug: cache-road-{number}\n\n"
        f"这是缓存之路的第{number}篇，其中$x_{number}$是变量。\n"
    )


NEW_COMMENT = """author: 新读者
date: 2025-05-05 12:00
slug: fresh

这是一条**新评论**，$e^{i\\pi}+1=0$。
"""


def make_site(root: Path) -> Path:
    """A small generated site plus hand-written posts the tests change."""
    site = generate.generate(root / "site", articles=10, equations=3, comments=2)
    content = site.content
    (content / "probe.md").write_text(PROBE_V1, encoding="utf-8")
    (content / "citing.md").write_text(CITING, encoding="utf-8")
    for number, numeral in ((1, "一"), (2, "二")):
        (content / f"road{number}.md").write_text(
            series_part(number, numeral), encoding="utf-8"
        )
    probe_comments = content / "comments" / "probe"
    probe_comments.mkdir(parents=True)
    (probe_comments / "first.md").write_text(
        "author: 甲\ndate: 2025-01-02 08:00\nslug: first\n\n沙发。\n", encoding="utf-8"
    )
    write_counts(root, {"/probe.html": 4321})
    return content


def write_counts(root: Path, counts: dict[str, int]) -> None:
    (root / "readers.json").write_text(json.dumps(counts), encoding="utf-8")


def settings_for(
    root: Path, output: Path, cache: Path | None, layer: str = "reader"
) -> dict[str, Any]:
    """Bundle settings; ``cache`` None builds from scratch with caching off.

    ``layer`` is Pelican's CONTENT_CACHING_LAYER: "reader" (the default) caches
    what the readers return and makes new Content objects (``content_object_init``
    is sent again); "generator" unpickles the Content objects themselves.
    """
    return {
        **BASE_SETTINGS,
        "PATH": str(root / "site" / "content"),
        "OUTPUT_PATH": str(output),
        "CACHE_PATH": str(cache or output.parent / (output.name + "-nocache")),
        "CACHE_CONTENT": cache is not None,
        "LOAD_CONTENT_CACHE": cache is not None,
        "CONTENT_CACHING_LAYER": layer,
        "PLUGINS": ["pelican_sujianlin"],
        "THEME": "notmyidea",
        "THEME_TEMPLATES_OVERRIDES": [str(run.THEME_OVERRIDES)],
        "READER_COUNT_FILE": str(root / "readers.json"),
    }


def output_files(output: Path) -> dict[str, bytes]:
    return {
        p.relative_to(output).as_posix(): p.read_bytes()
        for p in sorted(output.rglob("*"))
        if p.is_file()
    }


class Builder:
    """Numbered builds of one site: clean ones and ones through one cache."""

    def __init__(self, root: Path, layer: str) -> None:
        self.root = root
        self.layer = layer
        self.cache = root / "cache"
        self.count = 0
        self.settings: dict[str, object] = {}  # set over every build's

    def build(self, cached: bool) -> tuple[dict[str, bytes], list[str]]:
        self.count += 1
        output = self.root / f"output{self.count}"
        cache = self.cache if cached else None
        settings = settings_for(self.root, output, cache, self.layer)
        settings.update(self.settings)
        warnings = run_pelican(settings)
        return output_files(output), warnings

    def compare(self) -> dict[str, bytes]:
        """A cached build must write exactly what a clean build writes."""
        cached, cached_warnings = self.build(cached=True)
        clean, clean_warnings = self.build(cached=False)
        assert clean_warnings == []
        assert cached_warnings == []
        assert_same_files(cached, clean)
        return clean


def assert_same_files(got: dict[str, bytes], expected: dict[str, bytes]) -> None:
    assert sorted(got) == sorted(expected)
    differing = [name for name in expected if got[name] != expected[name]]
    assert differing == [], f"differ from a clean build: {differing[:10]}"


@pytest.fixture(params=["reader", "generator"])
def site(tmp_path, request) -> Builder:
    """The site, built through either of Pelican's content-cache layers."""
    make_site(tmp_path)
    return Builder(tmp_path, request.param)


@pytest.fixture
def site_without_cache(tmp_path) -> Builder:
    make_site(tmp_path)
    return Builder(tmp_path, "reader")


def page(files: dict[str, bytes], name: str) -> str:
    return files[name].decode("utf-8")


# --- the content cache ----------------------------------------------------------


def test_cached_builds_equal_a_clean_build(site, monkeypatch):
    clean, warnings = site.build(cached=False)
    assert warnings == []
    first, _ = site.build(cached=True)  # fills the cache
    assert any(site.cache.rglob("*")), "the content cache was not written"
    read: list[str] = []
    initialized: list[str] = []
    markdown_read = MarkdownReader.read

    def counting_read(reader, source_path):
        read.append(source_path)
        return markdown_read(reader, source_path)

    def count(content) -> None:
        initialized.append(content.source_path)

    monkeypatch.setattr(MarkdownReader, "read", counting_read)
    signals.content_object_init.connect(count)
    try:
        second, _ = site.build(cached=True)  # reads it
    finally:
        signals.content_object_init.disconnect(count)
    # the cache was really used: no article was read again ...
    assert not [path for path in read if path.endswith("probe.md")]
    # ... and with the generator layer, not even initialised again
    probe_inits = [path for path in initialized if path.endswith("probe.md")]
    assert len(probe_inits) == (1 if site.layer == "reader" else 0)
    assert_same_files(first, clean)
    assert_same_files(second, clean)
    assert len(clean) > 30


def test_new_comment_file_shows_after_a_cached_build(site):
    site.build(cached=True)
    (site.root / "site" / "content" / "comments" / "probe" / "fresh.md").write_text(
        NEW_COMMENT, encoding="utf-8"
    )
    clean = site.compare()
    index = page(clean, "index.html")
    widget = index.split('id="recent-comments"', 1)[1]
    assert "新读者" in widget
    assert "probe.html#comment-fresh" in widget
    probe = page(clean, "probe.html")
    assert 'id="comment-fresh"' in probe
    assert probe.count('id="comment-first"') == 1


def test_changed_reader_count_file_after_a_cached_build(site):
    first, _ = site.build(cached=True)
    assert "4321位读者" in page(first, "probe.html")
    write_counts(site.root, {"/probe.html": 98765})
    clean = site.compare()
    probe = page(clean, "probe.html")
    assert "98765位读者" in probe
    assert "4321位读者" not in probe


def popular_titles(files: dict[str, bytes]) -> list[str]:
    """The titles of the most-read list on the index page, in order."""
    section = page(files, "index.html").split('<section id="popular"', 1)[1]
    section = section.split("</section>", 1)[0]
    return re.findall(r'<a href="[^"]*">([^<]*)</a>', section)


def test_edited_comment_file_after_a_cached_build(site):
    """One comment edited (its author and body): the thread and the widget show
    the new text, and nothing of the old."""
    site.build(cached=True)
    first = site.root / "site" / "content" / "comments" / "probe" / "first.md"
    first.write_text(
        "author: 改名的甲\ndate: 2025-06-01 08:00\nslug: first\n\n改过的沙发。\n",
        encoding="utf-8",
    )
    clean = site.compare()
    widget = page(clean, "index.html").split('id="recent-comments"', 1)[1]
    assert "改名的甲" in widget
    probe = page(clean, "probe.html")
    assert "改过的沙发" in probe
    assert "沙发。" not in probe.replace("改过的沙发。", "")


def test_changed_reader_count_resorts_the_most_read_list(site):
    """The count file is read again: probe climbs to the top of the most-read
    list, then drops out of it."""
    site.build(cached=True)
    write_counts(site.root, {"/probe.html": 10**9})
    top = popular_titles(site.compare())
    assert top[0] == "缓存测试"
    write_counts(site.root, {"/probe.html": 1})
    assert "缓存测试" not in popular_titles(site.compare())


def edit_probe(content: Path, edit: str) -> None:
    """One edit of the site: a new comment, new counts or a renumbered article."""
    if edit == "comment":
        (content / "comments" / "probe" / "fresh.md").write_text(
            NEW_COMMENT, encoding="utf-8"
        )
    elif edit == "counts":
        write_counts(content.parent.parent, {"/probe.html": 10**9})
    else:
        (content / "probe.md").write_text(PROBE_V2, encoding="utf-8")


@pytest.mark.parametrize("edit", ["comment", "counts", "article"])
def test_autoreload_after_one_edit_equals_a_clean_build(site, edit):
    """``--autoreload``: one edit, then run() again in the same process."""
    second = rebuild_in_one_process(site, lambda content: edit_probe(content, edit))
    clean, _ = site.build(cached=False)
    assert_same_files(second, clean)
    if edit == "counts":
        assert popular_titles(second)[0] == "缓存测试"


def test_unchanged_files_are_not_numbered_again(tmp_path, monkeypatch):
    """With the reader layer the cache keeps each file's numbering: a rebuild
    numbers only the edited file, and still equals a clean build."""
    from pelican_sujianlin import equations

    make_site(tmp_path)
    site = Builder(tmp_path, "reader")
    site.build(cached=True)
    numbered: list[str] = []
    number = equations.number_equations

    def counting(text: str, prefix: str, *mode: str):
        numbered.append(prefix)
        return number(text, prefix, *mode)

    monkeypatch.setattr(equations, "number_equations", counting)
    site.build(cached=True)
    assert numbered == []
    (tmp_path / "site" / "content" / "probe.md").write_text(PROBE_V2, encoding="utf-8")
    cached, _ = site.build(cached=True)
    assert numbered == ["eq-probe"]
    clean, _ = site.build(cached=False)
    assert_same_files(cached, clean)
    assert r"\tag{3}" in page(cached, "probe.html")


def test_unchanged_comment_files_are_not_read_again(tmp_path, monkeypatch):
    """With the content cache on, a rebuild reads no comment file that did not
    change, a changed one once, and its output equals a clean build's."""
    from pelican_sujianlin.recent_comments import files

    make_site(tmp_path)
    site = Builder(tmp_path, "reader")
    site.build(cached=True)
    assert (site.cache / "sujianlin-comments.pickle").is_file()
    read: list[str] = []
    read_comment = files.read_comment

    def counting(path, *args, **kwargs):
        read.append(str(path))
        return read_comment(path, *args, **kwargs)

    monkeypatch.setattr(files, "read_comment", counting)
    site.build(cached=True)
    assert read == []
    first = tmp_path / "site" / "content" / "comments" / "probe" / "first.md"
    first.write_text(
        "author: 乙\ndate: 2025-01-02 08:00\nslug: first\n\n改过的沙发。\n",
        encoding="utf-8",
    )
    cached, _ = site.build(cached=True)
    assert read == [str(first)]
    assert "改过的沙发" in page(cached, "probe.html")
    clean, _ = site.build(cached=False)
    assert_same_files(cached, clean)


def test_a_broken_comment_file_is_reported_by_every_cached_build(tmp_path):
    """A comment file with a problem is not cached: each build reads it and
    warns again, naming it, as a build without the cache does."""
    make_site(tmp_path)
    broken = tmp_path / "site" / "content" / "comments" / "probe" / "broken.md"
    broken.write_text("author: 丙\n\n没有日期。\n", encoding="utf-8")
    site = Builder(tmp_path, "reader")
    for _ in range(2):
        _, warnings = site.build(cached=True)
        assert [w for w in warnings if "broken.md" in w and "no date" in w]


def test_a_comment_cache_of_other_code_or_zone_is_not_used(tmp_path, monkeypatch):
    """The comment cache is tagged with the code that read the comments and
    the site's TIMEZONE: another zone reads every file again."""
    from pelican_sujianlin.recent_comments import files

    make_site(tmp_path)
    site = Builder(tmp_path, "reader")
    site.build(cached=True)
    read: list[str] = []
    read_comment = files.read_comment
    monkeypatch.setattr(
        files,
        "read_comment",
        lambda path, *a, **k: read.append(path) or read_comment(path, *a, **k),
    )
    site.settings["TIMEZONE"] = "Europe/Paris"
    cached, _ = site.build(cached=True)
    assert any(path.endswith("first.md") for path in read)
    clean, _ = site.build(cached=False)
    assert_same_files(cached, clean)
    (site.cache / "sujianlin-comments.pickle").write_bytes(b"not a pickle")
    read.clear()
    _, warnings = site.build(cached=True)
    assert any(path.endswith("first.md") for path in read)
    assert [w for w in warnings if "sujianlin-comments.pickle" in w]


def test_a_new_numbering_mode_numbers_cached_files_again(tmp_path):
    """EQUATIONS_NUMBERING changed between two cached builds: the cached
    numbering of the other mode is not reused; the output equals a clean
    build's in the new mode."""
    make_site(tmp_path)
    site = Builder(tmp_path, "reader")
    site.build(cached=True)
    site.settings["EQUATIONS_NUMBERING"] = "none"
    cached, _ = site.build(cached=True)
    clean, _ = site.build(cached=False)
    assert_same_files(cached, clean)
    assert r"\tag{1}" not in page(cached, "probe.html")


def test_numbering_cached_by_another_version_is_done_again(tmp_path):
    """A cache entry whose numbering record this version does not know (another
    version of the plugin wrote it): the file is read and numbered again, the
    output equals a clean build's, and the entry is this version's again."""
    import gzip
    import pickle

    from pelican_sujianlin import equations

    make_site(tmp_path)
    site = Builder(tmp_path, "reader")
    site.build(cached=True)
    cache_file = site.cache / "ArticlesGenerator-Readers"

    def probe_entry(data: dict) -> tuple:
        return next(value for key, value in data.items() if key.endswith("probe.md"))

    data = pickle.loads(gzip.decompress(cache_file.read_bytes()))
    _, (_, metadata) = probe_entry(data)
    record = metadata[equations.CACHED]
    assert record[0] == f"{equations.Numbering.FORMAT}:labelled"
    metadata[equations.CACHED] = ("sujianlin.equations/0", *record[1:5])
    cache_file.write_bytes(gzip.compress(pickle.dumps(data)))
    site.compare()
    data = pickle.loads(gzip.decompress(cache_file.read_bytes()))
    _, (_, metadata) = probe_entry(data)
    assert metadata[equations.CACHED] == record


def test_slug_changed_by_the_settings_renames_cached_equation_ids(tmp_path):
    """A file the cache kept numbered under one slug, built with settings that
    give it another: its ids follow the new slug, as in a clean build."""
    make_site(tmp_path)
    (tmp_path / "site" / "content" / "noslug.md").write_text(
        "Title: Slugless Post\nDate: 2030-02-01\n\n"
        "See $\\eqref{eq:x}$.\n\n\\begin{equation}x\\label{eq:x}\\end{equation}\n",
        encoding="utf-8",
    )
    site = Builder(tmp_path, "reader")
    first, _ = site.build(cached=True)
    assert 'id="eq-slugless-post-1"' in page(first, "slugless-post.html")

    def build(cached: bool) -> dict[str, bytes]:
        site.count += 1
        output = tmp_path / f"output{site.count}"
        settings = settings_for(tmp_path, output, site.cache if cached else None)
        settings["SLUGIFY_SOURCE"] = "basename"
        assert run_pelican(settings) == []
        return output_files(output)

    cached, clean = build(cached=True), build(cached=False)
    assert_same_files(cached, clean)
    renamed = page(clean, "noslug.html")
    assert 'id="eq-noslug-1"' in renamed
    assert 'href="#eq-noslug-1"' in renamed


def test_changed_article_renumbers_after_a_cached_build(site):
    first, _ = site.build(cached=True)
    assert "(1)</a>" in page(first, "citing.html")
    (site.root / "site" / "content" / "probe.md").write_text(PROBE_V2, encoding="utf-8")
    clean = site.compare()
    probe = page(clean, "probe.html")
    assert r"\tag{3}" in probe
    assert "eq:b" not in probe
    assert re.search(r'class="eqref" href="[^"]*#[^"]+">\(3\)</a>', probe)
    # the unchanged (cached) article citing probe's eq:a now says (2)
    assert re.search(
        r'class="eqref" href="[^"]*probe\.html#[^"]+">\(2\)</a>',
        page(clean, "citing.html"),
    )


def test_new_series_part_updates_cached_parts(site):
    first, _ = site.build(cached=True)
    assert "cache-road-2.html" in page(first, "cache-road-1.html")
    content = site.root / "site" / "content"
    (content / "road3.md").write_text(series_part(3, "三"), encoding="utf-8")
    clean = site.compare()
    part_one = page(clean, "cache-road-1.html")
    nav = part_one.split('<nav class="series"', 1)[1].split("</nav>", 1)[0]
    assert "cache-road-3.html" in nav


# --- several builds in one process (pelican --autoreload) -------------------------


def build_twice_in_one_process(settings: dict[str, Any]) -> list[dict[str, bytes]]:
    """Like ``pelican --autoreload``: one Pelican, ``run()`` twice."""
    output = Path(settings["OUTPUT_PATH"])
    snapshots = []
    reset_warning_filter()
    with isolated_signals():
        pelican = Pelican(read_settings(override=dict(settings)))
        for _ in range(2):
            shutil.rmtree(output, ignore_errors=True)
            pelican.run()
            snapshots.append(output_files(output))
    return snapshots


def test_two_runs_of_one_pelican_equal_a_clean_build(site_without_cache):
    site = site_without_cache
    clean, _ = site.build(cached=False)
    first, second = build_twice_in_one_process(
        settings_for(site.root, site.root / "reload", None)
    )
    assert_same_files(first, clean)
    assert_same_files(second, clean)


def test_two_runs_with_the_cache_equal_a_clean_build(site):
    clean, _ = site.build(cached=False)
    first, second = build_twice_in_one_process(
        settings_for(site.root, site.root / "reload", site.cache, site.layer)
    )
    assert_same_files(first, clean)
    assert_same_files(second, clean)


def test_two_pelican_instances_in_one_process(site_without_cache):
    """A changed settings file makes autoreload create a new Pelican (and
    register the plugins again) without the signals being cleared."""
    site = site_without_cache
    clean, _ = site.build(cached=False)
    reset_warning_filter()
    outputs = []
    with isolated_signals():
        for number in range(2):
            output = site.root / f"instance{number}"
            Pelican(read_settings(override=settings_for(site.root, output, None))).run()
            outputs.append(output_files(output))
    for files in outputs:
        assert_same_files(files, clean)


def rebuild_in_one_process(site: Builder, edit) -> dict[str, bytes]:
    """Like ``pelican --autoreload``: run, ``edit(content folder)``, run again
    on the same Pelican object; the files of the second run."""
    settings = settings_for(site.root, site.root / "reload", site.cache, site.layer)
    output = Path(settings["OUTPUT_PATH"])
    reset_warning_filter()
    with isolated_signals():
        pelican = Pelican(read_settings(override=dict(settings)))
        pelican.run()
        edit(site.root / "site" / "content")
        shutil.rmtree(output)
        pelican.run()
        return output_files(output)


def test_autoreload_after_edits_counts_nothing_twice(site):
    """Run, edit a comment, the counts and an article, run again in the same
    process: the second run equals a clean build of the edited site."""

    def edit(content: Path) -> None:
        (content / "comments" / "probe" / "fresh.md").write_text(
            NEW_COMMENT, encoding="utf-8"
        )
        write_counts(site.root, {"/probe.html": 98765})
        (content / "probe.md").write_text(PROBE_V2, encoding="utf-8")
        (content / "road3.md").write_text(series_part(3, "三"), encoding="utf-8")

    second = rebuild_in_one_process(site, edit)
    clean, warnings = site.build(cached=False)
    assert warnings == []
    assert_same_files(second, clean)
    probe = page(second, "probe.html")
    assert probe.count('id="comment-fresh"') == 1
    assert "98765位读者" in probe
