"""The benchmark's tools work: the generated site builds cleanly with the whole
bundle and shows every feature, and run.py / profile_build.py measure a tiny
site. Nothing here is timed: no test fails because a machine is slow."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import generate, profile_build, run  # noqa: E402

THEME = {"THEME": "notmyidea", "THEME_TEMPLATES_OVERRIDES": [str(run.THEME_OVERRIDES)]}


@pytest.fixture(scope="module")
def small_site(tmp_path_factory) -> generate.GeneratedSite:
    folder = tmp_path_factory.mktemp("generated")
    return generate.generate(folder, articles=12, equations=4, comments=3)


@pytest.fixture(scope="module")
def built(small_site, tmp_path_factory):
    """The small site built once with the whole bundle (module-scoped)."""
    from conftest import BASE_SETTINGS, run_pelican

    output = tmp_path_factory.mktemp("output")
    settings = {
        **BASE_SETTINGS,
        **THEME,
        "PATH": str(small_site.content),
        "OUTPUT_PATH": str(output),
        "CACHE_PATH": str(output.parent / "cache"),
        "PLUGINS": ["pelican_sujianlin"],
    }
    warnings = run_pelican(settings)
    return output, warnings


def read(output: Path, name: str) -> str:
    return (output / name).read_text(encoding="utf-8")


def pick(site: generate.GeneratedSite, **wanted) -> generate.ArticlePlan:
    """The first planned article with every attribute truthy/equal as asked."""
    for article in site.articles:
        if all(
            bool(getattr(article, key))
            if value is True
            else getattr(article, key) == value
            for key, value in wanted.items()
        ):
            return article
    raise AssertionError(f"the generator planned no article with {wanted}")


# --- the generator ----------------------------------------------------------------


def test_generator_is_deterministic(tmp_path):
    generate.generate(tmp_path / "a", articles=6, equations=3, comments=2)
    generate.generate(tmp_path / "b", articles=6, equations=3, comments=2)
    files_a = {
        p.relative_to(tmp_path / "a").as_posix(): p.read_bytes()
        for p in sorted((tmp_path / "a").rglob("*"))
        if p.is_file()
    }
    files_b = {
        p.relative_to(tmp_path / "b").as_posix(): p.read_bytes()
        for p in sorted((tmp_path / "b").rglob("*"))
        if p.is_file()
    }
    assert files_a == files_b
    other = generate.generate(tmp_path / "c", articles=6, equations=3, seed=7)
    assert (other.content / "1000.md").read_bytes() != files_a["content/1000.md"]


def test_generator_writes_kexue_like_articles(small_site):
    articles = sorted(small_site.content.glob("*.md"))
    assert len(articles) == 12
    comments = list((small_site.content / "comments").rglob("*.md"))
    assert len(comments) == 12 * 3 == small_site.comment_count
    texts = [path.read_text(encoding="utf-8") for path in articles]
    assert all(5000 < len(text.encode()) < 12000 for text in texts)
    everything = "\n".join(texts)
    for needle in (
        r"\begin{equation}",
        r"\begin{align}",
        r"\notag",
        r"\eqref{",
        r"\ref{",
        "<!--more-->",
        "Readers: ",
        "Tags: ",
        "Category: ",
    ):
        assert needle in everything, needle
    assert re.search(r"\$[^$\n]+\$", everything)  # inline math
    titles = re.findall(r"^Title: (.+)$", everything, re.MULTILINE)
    assert any(re.search(r"（[一二三四五六七八九十]+）：", t) for t in titles)
    series_plans = [a for a in small_site.articles if a.series]
    assert len({a.series for a in series_plans}) >= 1
    assert len(series_plans) >= 2
    # a forward reference: some \eqref precedes the \label it names
    assert any(
        text.find(f"\\eqref{{{label}}}") < text.find(f"\\label{{{label}}}")
        for text in texts
        for label in re.findall(r"\\eqref\{([^}]+)\}", text)
    )
    reply = next(c for c in comments if "replyto:" in c.read_text("utf-8"))
    meta = reply.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert {line.split(":")[0] for line in meta.splitlines()} >= {
        "author",
        "date",
        "replyto",
    }


def test_series_titles_take_the_kexue_forms():
    assert generate.chinese_numeral(15) == "十五"
    assert generate.chinese_numeral(21) == "二十一"
    assert generate.chinese_numeral(105) == "一百零五"
    assert generate.series_title(0, "生成扩散模型漫谈", 15, 20, "副") == (
        "生成扩散模型漫谈（十五）：副"
    )
    assert generate.series_title(1, "Transformer升级之路", 2, 9, "副") == (
        "Transformer升级之路：2、副"
    )
    assert generate.series_title(2, "名称", 2, 2, "副") == "名称（下）"


# --- the generated site built with the bundle ----------------------------------


def test_generated_site_builds_with_the_bundle_without_warnings(built):
    _, warnings = built
    assert warnings == []


def test_equations_are_numbered_and_referenced(built, small_site):
    output, _ = built
    article = pick(small_site, labels=True)
    page = read(output, f"{article.slug}.html")
    assert r"\tag{1}" in page
    assert re.search(r'<a class="eqref" href="[^"]*#[^"]+">\(\d+\)</a>', page)
    assert r"\label{" not in page
    assert r"\eqref{" not in page


def test_references_to_an_earlier_part_link_to_it(built, small_site):
    output, _ = built
    article = pick(small_site, cites=True)
    target = article.cites.split("/", 1)[0]
    page = read(output, f"{article.slug}.html")
    assert re.search(
        rf'<a class="eqref" href="[^"]*{target}\.html#[^"]+">\(\d+\)</a>', page
    )
    assert article.cites not in page


def test_summaries_are_cut_at_the_marker(built, small_site):
    output, _ = built
    article = pick(small_site, has_more=True)
    index = read(output, "index.html")
    assert 'class="read-more"' in index
    assert "<!--more-->" not in read(output, f"{article.slug}.html")
    assert 'id="more"' in read(output, f"{article.slug}.html")


def test_series_navigation_and_series_page(built, small_site):
    output, _ = built
    first = pick(small_site, series_index=1)
    page = read(output, f"{first.slug}.html")
    assert re.search(r'<nav class="series"[ >]', page)
    assert 'rel="next"' in page
    assert list((output / "series").glob("*.html"))


def test_reader_counts_and_popular_list(built, small_site):
    output, _ = built
    article = small_site.articles[0]
    page = read(output, f"{article.slug}.html")
    assert f"{article.readers}位读者" in page
    assert '<span class="readers"' in page
    assert re.search(r'<section id="popular"[ >]', read(output, "index.html"))


def test_comments_and_recent_comments_widget(built, small_site):
    output, _ = built
    article = small_site.articles[0]
    page = read(output, f"{article.slug}.html")
    for name in article.comments:
        assert f'id="comment-{name}"' in page
    index = read(output, "index.html")
    assert re.search(r'<section id="recent-comments"[ >]', index)
    assert re.search(r'href="[^"]*\.html#comment-c\d+"', index)


def test_citation_block_and_mathjax(built, small_site):
    output, _ = built
    article = pick(small_site, labels=True)
    page = read(output, f"{article.slug}.html")
    assert re.search(r'<section id="cite"[ >]', page)
    assert "@online{" in page
    assert "mathjax" in page.lower()


# --- run.py and profile_build.py on a tiny site ------------------------------------


def test_run_measures_each_configuration_in_its_own_process(tmp_path):
    content = run.prepare_site(4, 2, 1, tmp_path)
    configs = ["plain", "plain-long", "bundle"]
    configs += ["peers"] if run.peers_installed() else []
    lines: list[str] = []
    builds = run.measure(content, configs, 1, tmp_path, progress=lines.append)
    assert [build.config for build in builds] == configs
    assert len(lines) == len(configs)
    for build in builds:
        assert build.seconds > 0
        assert build.process_seconds > build.seconds
        assert 0 < build.cpu_seconds < build.process_seconds * 2
        assert build.max_rss_kb > 10_000  # a Python process holding Pelican
        assert build.files > 4
        assert (tmp_path / f"out-{build.config}" / "1000.html").is_file()
    summaries = run.summarize(builds)
    text = run.report(summaries, "tiny")
    assert text.splitlines()[2].split()[:2] == ["plain", "1"]
    assert "1.000" in text  # plain / plain
    bundle_page = (tmp_path / "out-bundle" / "1000.html").read_text("utf-8")
    plain_page = (tmp_path / "out-plain" / "1000.html").read_text("utf-8")
    assert "recent-comments" in bundle_page
    assert "recent-comments" not in plain_page
    assert "bundle / plain-long (pages of the same size): time " in text
    # plain-long cuts its summaries where the generated posts have their marker
    counts = {
        config: summary_paragraphs(tmp_path / f"out-{config}" / "index.html")
        for config in ("plain", "plain-long", "bundle")
    }
    assert counts["plain-long"] == counts["bundle"]
    assert sum(counts["plain-long"]) > sum(counts["plain"])


def test_plain_bare_builds_without_the_override_theme(tmp_path):
    """plain-bare is plain Pelican with notmyidea as it is: none of the
    override theme's includes (and their <aside>), which plain builds."""
    content = run.prepare_site(2, 1, 1, tmp_path)
    builds = run.measure(content, ["plain", "plain-bare"], 1, tmp_path)
    assert [build.config for build in builds] == ["plain", "plain-bare"]
    pages = {
        config: (tmp_path / f"out-{config}" / "1000.html").read_text("utf-8")
        for config in ("plain", "plain-bare")
    }
    assert "<aside>" in pages["plain"]
    assert "<aside>" not in pages["plain-bare"]


def summary_paragraphs(index: Path) -> list[int]:
    """The number of paragraphs in each summary of a notmyidea index page."""
    entries = index.read_text("utf-8").split("<!-- /.post-info -->")[1:]
    return [entry.split('<a class="readmore"')[0].count("<p>") for entry in entries]


def test_run_main_writes_figures(tmp_path, capsys):
    figures = tmp_path / "figures.json"
    run.main(
        [
            "--articles",
            "3",
            "--equations",
            "1",
            "--comments",
            "1",
            "--rounds",
            "1",
            "--configs",
            "plain,bundle",
            "--work",
            str(tmp_path),
            "--json",
            str(figures),
        ]
    )
    printed = capsys.readouterr().out
    assert "time/plain" in printed
    data = json.loads(figures.read_text(encoding="utf-8"))
    assert set(data["summaries"]) == {"plain", "bundle"}
    assert data["summaries"]["bundle"]["max_rss_mb"] > 10


def test_a_failing_child_build_is_reported(tmp_path):
    content = run.prepare_site(2, 1, 1, tmp_path)
    settings = run.site_settings(content, tmp_path / "out", [], theme="no-such-theme")
    with pytest.raises(RuntimeError, match="bundle build failed"):
        run.build_in_child("bundle", settings, tmp_path / "bundle.log")


def test_profile_reports_the_bundle_modules(tmp_path):
    from conftest import isolated_signals

    content = run.prepare_site(4, 2, 2, tmp_path)
    settings = run.site_settings(content, tmp_path / "out", ["pelican_sujianlin"])
    with isolated_signals():
        stats, wall = profile_build.profile_build(settings)
    text = profile_build.report(stats, wall, 10)
    assert wall > 0
    modules = profile_build.module_totals(stats)
    assert any(name.startswith("recent_comments") for name in modules)
    assert "pelican_sujianlin/" in text
    assert "by cumulative time" in text


def test_memory_report_names_the_bundle_lines(tmp_path):
    from conftest import isolated_signals

    content = run.prepare_site(4, 2, 2, tmp_path)
    settings = run.site_settings(content, tmp_path / "out", ["pelican_sujianlin"])
    with isolated_signals():
        statistics, peak_mb = profile_build.memory_build(settings)
    text = profile_build.memory_report(statistics, peak_mb, 10)
    assert peak_mb > 0
    assert "alive, by the file that allocated it" in text
    assert "pelican_sujianlin/" in text


def test_spy_report_charges_the_outermost_package_frame():
    raw = "\n".join(
        [
            "<module> (run.py:1);Pelican.run (pelican/__init__.py:126);"
            "ArticlesGenerator.generate_context (pelican/generators.py:710);"
            "collect (pelican_sujianlin/recent_comments/__init__.py:252);"
            "convert (markdown/core.py:374);"
            "MathPreprocessor.run (pelican_sujianlin/math_markdown.py:315) 3",
            "<module> (run.py:1);Pelican.run (pelican/__init__.py:126);"
            "ArticlesGenerator.generate_output (pelican/generators.py:800);"
            "root (index.html:15);root (recent_comments.html:4) 1",
        ]
    )
    text = profile_build.spy_report(raw, 10)
    assert "py-spy: 4 samples" in text
    modules = text.split("per module")[1].split("functions of")[0]
    assert "75.0%  recent_comments/__init__.py" in modules
    assert "25.0%  templates/recent_comments.html" in modules
    assert "index.html" not in modules  # the theme's, not the bundle's
    assert "math_markdown.py" not in modules
    assert "75.0%  math_markdown.py:MathPreprocessor.run" in text
    assert "75.0%  ArticlesGenerator.generate_context" in text
    assert "25.0%  ArticlesGenerator.generate_output" in text


# --- the incremental mode (content cache on) -----------------------------------------


def test_incremental_mode_rebuilds_after_each_edit(tmp_path):
    from benchmarks import incremental

    content = run.prepare_site(4, 2, 1, tmp_path)
    lines: list[str] = []
    rebuilds, sizes = incremental.measure_incremental(
        content, ["plain", "bundle"], 1, tmp_path, progress=lines.append
    )
    assert [r.step for r in rebuilds if r.config == "bundle"] == list(incremental.STEPS)
    assert len(lines) == 2
    for rebuild in rebuilds:
        assert rebuild.seconds > 0
        assert rebuild.cpu_seconds > 0
        assert rebuild.warnings == 0
        assert (rebuild.max_rss_kb > 10_000) == ("autoreload" not in rebuild.step)
    assert sizes["plain"][0] > 0
    assert sizes["bundle"][0] > 0
    # the six edits reached the bundle's last output
    output = tmp_path / "incremental-bundle" / "output"
    slug = incremental.middle_slug(tmp_path / "incremental-bundle" / "content")
    article = (output / f"{slug}.html").read_text(encoding="utf-8")
    assert "第4次修改" in article
    assert 'id="comment-bench5"' in article
    assert "新读者5" in (output / "index.html").read_text(encoding="utf-8")
    counts = json.loads(
        incremental.count_file(tmp_path / "incremental-bundle" / "content").read_text()
    )
    assert counts["/pages/about.html"] == 500 + 600_000
    table = incremental.summarize_incremental(rebuilds, sizes)
    text = incremental.report_incremental(table, "tiny")
    assert "article (autoreload)" in text
    assert "cache on disk after the cold build" in text
    assert table["bundle"]["steps"]["cold"]["rounds"] == 1


def test_warm_profile_rebuilds_from_the_cache(tmp_path):
    from conftest import isolated_signals

    content = run.prepare_site(4, 2, 1, tmp_path)
    settings = profile_build.warm_settings(
        content, tmp_path / "warm", ["pelican_sujianlin"], "notmyidea", True
    )
    assert settings["CACHE_CONTENT"]
    assert settings["LOAD_CONTENT_CACHE"]
    assert any((tmp_path / "warm" / "cache").iterdir())
    with isolated_signals():
        stats, _ = profile_build.profile_build(settings)
    numbered = [
        values[0]
        for function, values in stats.stats.items()
        if function[2] == "number_equations"
    ]
    assert numbered == [1]  # only the edited article is numbered again


def test_instructions_are_read_from_a_child_build_under_valgrind(tmp_path, monkeypatch):
    """A stand-in for valgrind on PATH prints cachegrind's summary line and
    runs the child build it was given (the real one is too slow for a test)."""
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "valgrind"
    built = tmp_path / "out" / "1000.html"
    fake.write_text(
        "#!/bin/sh\n"
        'echo "==1== I   refs:      1,234,567" >&2\n'
        "shift 3\n"  # the three cachegrind options
        'exec "$@"\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    content = run.prepare_site(2, 1, 1, tmp_path)
    settings = run.site_settings(content, tmp_path / "out", [])
    assert profile_build.count_instructions(settings) == 1_234_567
    assert built.is_file()  # the child build ran


def test_profile_main_takes_a_configuration_of_run(tmp_path, capsys):
    from conftest import isolated_signals

    counts = {}
    for config in ("plain", "plain-long"):
        arguments = ["--articles", "2", "--equations", "1", "--comments", "1"]
        arguments += ["--config", config, "--top", "3", "--work", str(tmp_path)]
        with isolated_signals():
            profile_build.main(arguments)
        assert "profiled build" in capsys.readouterr().out
        index = tmp_path / f"out-profile-{config}" / "index.html"
        counts[config] = sum(summary_paragraphs(index))
    assert counts["plain-long"] > counts["plain"]  # the configuration's settings
