"""Build a generated kexue-like site with plain Pelican, the bundle and its peers.

    python benchmarks/run.py                       # 1,000 articles, 5 rounds
    python benchmarks/run.py --articles 200 --rounds 1
    python benchmarks/run.py --scale-to 4000       # also the 4,000/1,000 ratio

Each build runs in a fresh Python process (so its peak memory is that
process's maximum resident set size, read with ``os.wait4``), with the content
cache off and the same theme; the configurations alternate within each round
(and the order rotates from round to round) so that a slow spell of the
machine hits them all alike. ``build`` is the time of ``Pelican(settings).run()``
inside the child, plugin imports included; ``process`` is the child's whole
wall time, interpreter start-up and imports included; ``cpu`` is the CPU time
of the build inside the child, the steadier figure when other work shares the
machine (wall time counts the waits for a core, CPU time does not). The peer plugins
(pelican-render-math, pelican-series, pelican-neighbors, pelican-read-more)
are measured when they are installed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import add_size_arguments, generate

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
THEME_OVERRIDES = HERE / "theme"

PEER_PLUGINS = [
    "pelican.plugins.render_math",
    "pelican.plugins.series",
    "pelican.plugins.neighbors",
    "pelican.plugins.read_more",
]
CONFIGS: dict[str, list[str]] = {
    "plain": [],
    # Plain Pelican with the theme as it is: the benchmark's override theme
    # includes every partial of the bundle, and with no bundle loaded each of
    # those includes searches the theme's folders and finds nothing, which
    # costs plain Pelican time the bare theme does not.
    "plain-bare": [],
    "plain-long": [],
    "bundle": ["pelican_sujianlin"],
    "peers": PEER_PLUGINS,
    # EQUATIONS_RENDER = "build": "bundle-build" rebuilds with its formula
    # cache filled (one unmeasured build fills it), "bundle-build-cold"
    # empties it before every build.
    "bundle-build": ["pelican_sujianlin"],
    "bundle-build-cold": ["pelican_sujianlin"],
    # pelican-katex (pip install pelican-katex; it ships KaTeX and runs it
    # with Node.js), when installed: measured in a venv of its own, never a
    # dependency of the project.
    "katex": ["pelican_katex"],
}
# Settings of a configuration beyond its plugins. Pelican's own summary of a
# Chinese post is 50 characters; the generated posts put their marker after
# three paragraphs. "plain-long" is plain Pelican writing summaries as long as
# the bundle's, so list pages of the same size: what the bundle costs beyond
# the longer pages it writes.
CONFIG_SETTINGS: dict[str, dict[str, Any]] = {
    "plain-long": {"SUMMARY_MAX_LENGTH": None, "SUMMARY_MAX_PARAGRAPHS": 3},
    "bundle-build": {"EQUATIONS_RENDER": "build"},
    "bundle-build-cold": {"EQUATIONS_RENDER": "build"},
}
WARM_CONFIGS = {"bundle-build"}
BARE_CONFIGS = {"plain-bare"}  # built without the partials, whatever --no-partials
COLD_CONFIGS = {"bundle-build-cold"}
DOCUTILS_ZH_WARNING = "Docutils has no localization for '%s'. Using 'en' instead."


@dataclass
class Build:
    """One build in its own process."""

    config: str
    seconds: float  # Pelican(settings).run(), inside the child
    process_seconds: float  # the child's whole life
    cpu_seconds: float  # CPU time of Pelican(settings).run(), inside the child
    max_rss_kb: int
    warnings: list[str] = field(default_factory=list)
    files: int = 0


@dataclass
class Summary:
    """The median figures of one configuration over its rounds."""

    config: str
    rounds: int
    seconds: float
    process_seconds: float
    cpu_seconds: float
    max_rss_mb: float
    warnings: int


def plugins_of(config: str) -> list[str]:
    """PLUGINS of a configuration: plain, bundle, peers, or one plugin's name
    (e.g. ``equations``: that plugin of the bundle alone)."""
    if config in CONFIGS:
        return CONFIGS[config]
    module = f"pelican_sujianlin.{config}"
    if importlib.util.find_spec(module) is None:
        raise ValueError(f"unknown configuration {config!r}")
    return [module]


def bundle_plugins() -> list[str]:
    """The short names of the bundle's plugins (``equations``, ...)."""
    import pelican_sujianlin

    return list(pelican_sujianlin.PLUGIN_NAMES)


def peers_installed() -> bool:
    return all(importlib.util.find_spec(name) for name in PEER_PLUGINS)


def site_settings(
    content: Path,
    output: Path,
    plugins: list[str],
    theme: str = "notmyidea",
    partials: bool = True,
) -> dict[str, Any]:
    """Pelican settings of one benchmark build (caching off)."""
    settings: dict[str, Any] = {
        "PATH": str(content),
        "OUTPUT_PATH": str(output),
        "CACHE_PATH": str(output.parent / (output.name + "-cache")),
        "PLUGINS": plugins,
        "THEME": theme,
        "SITEURL": "https://kexue.example.test",
        "SITENAME": "科学空间",
        "AUTHOR": "苏剑林",
        "TIMEZONE": "Asia/Shanghai",
        "DEFAULT_LANG": "zh",
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
        "DELETE_OUTPUT_DIRECTORY": False,
        # Comment files are not articles, with or without the bundle.
        "ARTICLE_EXCLUDES": ["comments"],
        "LOG_FILTER": [(30, DOCUTILS_ZH_WARNING)],
    }
    if partials:
        settings["THEME_TEMPLATES_OVERRIDES"] = [str(THEME_OVERRIDES)]
    return settings


def configure_logging(settings: dict[str, Any]) -> list[str]:
    """Collect the warnings of the builds of this process into the list returned;
    make ``settings`` (read from JSON) what Pelican expects."""
    import logging

    warnings: list[str] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            warnings.append(record.getMessage())

    logging.getLogger().addHandler(Collector(level=logging.WARNING))
    # JSON made the (level, message) pairs lists; Pelican hashes them.
    settings["LOG_FILTER"] = [tuple(pair) for pair in settings.get("LOG_FILTER", [])]
    return warnings


def build_in_this_process(settings: dict[str, Any]) -> dict[str, Any]:
    """Build once; return the build time and the warnings (the child's job)."""
    from pelican import Pelican
    from pelican.settings import read_settings

    warnings = configure_logging(settings)
    start, cpu_start = time.perf_counter(), time.process_time()
    Pelican(read_settings(override=settings)).run()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "warnings": warnings}


def build_in_child(
    config: str, settings: dict[str, Any], log: Path, clean: bool = True
) -> Build:
    """Build in a fresh interpreter; measure its time and its peak memory.
    ``clean``: empty the output folder first."""
    output = Path(settings["OUTPUT_PATH"])
    if clean:
        shutil.rmtree(output, ignore_errors=True)
    with tempfile.TemporaryDirectory() as folder:
        request = Path(folder) / "request.json"
        answer = Path(folder) / "answer.json"
        request.write_text(json.dumps(settings), encoding="utf-8")
        command = [sys.executable, __file__, "--build-one", str(request), str(answer)]
        with log.open("wb") as log_file:
            start = time.perf_counter()
            child = subprocess.Popen(command, stdout=log_file, stderr=log_file)
            _, status, usage = os.wait4(child.pid, 0)
            process_seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            tail = log.read_text("utf-8", errors="replace").splitlines()[-15:]
            raise RuntimeError(
                f"{config} build failed (exit {child.returncode}); {log} ends:\n"
                + "\n".join(tail)
            )
        result = json.loads(answer.read_text(encoding="utf-8"))
    files = sum(1 for path in output.rglob("*") if path.is_file())
    return Build(
        config,
        result["seconds"],
        process_seconds,
        result["cpu_seconds"],
        usage.ru_maxrss,  # kilobytes on Linux
        result["warnings"],
        files,
    )


def alternating(configs: list[str], rounds: int) -> Iterator[tuple[int, str]]:
    """(round, configuration): every configuration once per round, the order
    rotating from round to round (a slow spell of the machine hits all alike)."""
    for number in range(rounds):
        shift = number % len(configs)
        for config in configs[shift:] + configs[:shift]:
            yield number, config


def measure(
    content: Path,
    configs: list[str],
    rounds: int,
    work: Path,
    theme: str = "notmyidea",
    partials: bool = True,
    progress=None,
) -> list[Build]:
    """Build every configuration ``rounds`` times, alternating them."""
    builds = []
    for number, config in alternating(configs, rounds):
        settings = site_settings(
            content,
            work / f"out-{config}",
            plugins_of(config),
            theme,
            partials and config not in BARE_CONFIGS,
        )
        settings.update(CONFIG_SETTINGS.get(config, {}))
        prepare_cache(config, settings, work)
        build = build_in_child(config, settings, work / f"{config}.log")
        builds.append(build)
        if progress:
            progress(
                f"round {number + 1}/{rounds} {config:15s} "
                f"{build.seconds:6.2f} s  {build.cpu_seconds:6.2f} s cpu  "
                f"{build.max_rss_kb / 1024:6.0f} MB"
                f"  {len(build.warnings)} warnings"
            )
    return builds


def prepare_cache(config: str, settings: dict[str, Any], work: Path) -> None:
    """Empty a cold configuration's cache; fill a warm one's (unmeasured)."""
    cache = Path(settings["CACHE_PATH"])
    if config in COLD_CONFIGS:
        shutil.rmtree(cache, ignore_errors=True)
    elif config in WARM_CONFIGS and not cache.exists():
        build_in_child(config, settings, work / f"{config}-fill.log")


def katex_installed() -> bool:
    return bool(importlib.util.find_spec("pelican_katex") and shutil.which("node"))


#: Configurations whose pages are typeset at build time: their raw math left
#: is counted (``math_left``).
BUILD_TYPESET = {"katex", "bundle-build", "bundle-build-cold"}
_ANNOTATION = re.compile(r"<annotation\b.*?</annotation>", re.S)


def math_left(output: Path) -> tuple[int, int, int]:
    """Over the article pages of a build (``<slug>.html`` at the top of the
    output): pages, the pages still holding raw math, and the raw math spans
    (outside code) left in them, as the bundle's scanner finds them."""
    from pelican_sujianlin.equations import scan_html

    pages = raw_pages = spans = 0
    for path in output.glob("*.html"):
        if not path.stem.isdigit():  # index.html, archives.html...
            continue
        pages += 1
        # (KaTeX keeps each formula's TeX in a MathML annotation: typeset)
        text = _ANNOTATION.sub("", path.read_text("utf-8"))
        found = [k for k, _, _ in scan_html(text) if k != "ref"]
        raw_pages += bool(found)
        spans += len(found)
    return pages, raw_pages, spans


def summarize(builds: list[Build]) -> dict[str, Summary]:
    summaries = {}
    for config in dict.fromkeys(build.config for build in builds):
        mine = [build for build in builds if build.config == config]
        summaries[config] = Summary(
            config,
            len(mine),
            statistics.median(build.seconds for build in mine),
            statistics.median(build.process_seconds for build in mine),
            statistics.median(build.cpu_seconds for build in mine),
            statistics.median(build.max_rss_kb for build in mine) / 1024,
            max(len(build.warnings) for build in mine),
        )
    return summaries


def report(summaries: dict[str, Summary], title: str) -> str:
    plain = summaries.get("plain")
    lines = [
        title,
        f"{'config':15s} {'rounds':>6s} {'build s':>8s} {'cpu s':>7s} "
        f"{'process s':>9s} {'peak MB':>8s} {'time/plain':>10s} {'cpu/plain':>9s} "
        f"{'mem/plain':>9s} {'warnings':>8s}",
    ]
    for summary in summaries.values():
        time_ratio = cpu_ratio = memory_ratio = ""
        if plain:
            time_ratio = f"{summary.seconds / plain.seconds:.3f}"
            cpu_ratio = f"{summary.cpu_seconds / plain.cpu_seconds:.3f}"
            memory_ratio = f"{summary.max_rss_mb / plain.max_rss_mb:.3f}"
        lines.append(
            f"{summary.config:15s} {summary.rounds:6d} {summary.seconds:8.2f} "
            f"{summary.cpu_seconds:7.2f} {summary.process_seconds:9.2f} "
            f"{summary.max_rss_mb:8.0f} {time_ratio:>10s} {cpu_ratio:>9s} "
            f"{memory_ratio:>9s} {summary.warnings:8d}"
        )
    bundle, plain_long = summaries.get("bundle"), summaries.get("plain-long")
    if bundle and plain_long:
        lines.append(
            f"bundle / plain-long (pages of the same size): "
            f"time {bundle.seconds / plain_long.seconds:.3f}, "
            f"cpu {bundle.cpu_seconds / plain_long.cpu_seconds:.3f}, "
            f"memory {bundle.max_rss_mb / plain_long.max_rss_mb:.3f}"
        )
    return "\n".join(lines)


def prepare_site(articles: int, equations: int, comments: int, work: Path) -> Path:
    """The generated site's content folder, generated once per generator version
    and size (so that concurrent runs can share it)."""
    folder = work / f"site-{articles}x{equations}x{comments}"
    stamp = folder / "generated.stamp"
    generator = Path(generate.__code__.co_filename).read_bytes()
    expected = hashlib.sha256(generator).hexdigest()
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == expected:
        return folder / "content"
    stamp.unlink(missing_ok=True)
    site = generate(folder, articles, equations, comments)
    stamp.write_text(expected, encoding="utf-8")
    return site.content


def compile_package() -> None:
    """Write the bundle's bytecode, as installing it does: Pelican and every
    installed plugin are measured with theirs, and an editable checkout run
    with PYTHONDONTWRITEBYTECODE would compile every module in every build."""
    import compileall

    compileall.compile_dir(HERE.parent / "pelican_sujianlin", quiet=1)


def machine() -> str:
    import platform

    import pelican

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    text = (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs "
        f"({cpu}), Python {platform.python_version()}, Pelican {pelican.__version__}"
    )
    installed = namespace_plugins()
    if installed:
        # Pelican imports every one of them in every build, plain builds too.
        text += f"; namespace plugins installed (imported by every build): {installed}"
    return text


def namespace_plugins() -> list[str]:
    """The ``pelican.plugins.*`` packages installed here."""
    import pkgutil

    import pelican.plugins

    return [m.name for m in pkgutil.iter_modules(pelican.plugins.__path__) if m.ispkg]


def print_warnings(builds: list[Build]) -> None:
    for config in dict.fromkeys(build.config for build in builds):
        warnings = next(b.warnings for b in builds if b.config == config)
        for message in warnings[:5]:
            print(f"  {config} warned: {message[:200]}", file=sys.stderr)


def add_site_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the built site that the benchmark tools share."""
    parser.add_argument("--theme", default="notmyidea")
    parser.add_argument(
        "--no-partials",
        action="store_true",
        help="do not show the bundle's partials (the theme as it is)",
    )
    parser.add_argument("--work", type=Path, default=WORK)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--configs",
        default="plain,plain-long,bundle,peers",
        help="comma-separated: " + ", ".join(CONFIGS) + ", or a plugin's name "
        "(that plugin alone)",
    )
    parser.add_argument(
        "--per-plugin",
        action="store_true",
        help="also build with each plugin of the bundle alone",
    )
    add_site_arguments(parser)
    parser.add_argument(
        "--scale-to",
        type=int,
        metavar="N",
        help="also build N articles (plain and bundle) and print the ratio",
    )
    parser.add_argument("--scale-rounds", type=int, default=3)
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="rebuilds with the content cache on (benchmarks/incremental.py): "
        "cold, then after an article, a comment and a reader-count edit, in a "
        "fresh process and in one process (autoreload); plain, bundle and "
        "plain-bare only",
    )
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--build-one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.build_one:
        request, answer = map(Path, args.build_one)
        result = build_in_this_process(json.loads(request.read_text("utf-8")))
        answer.write_text(json.dumps(result), encoding="utf-8")
        return

    configs = [name.strip() for name in args.configs.split(",") if name.strip()]
    if args.per_plugin:
        configs += [name for name in bundle_plugins() if name not in configs]
    for config in configs:
        plugins_of(config)  # fail early on a typo
    if "peers" in configs and not peers_installed():
        print("peer plugins not installed: skipping 'peers'", file=sys.stderr)
        configs.remove("peers")
    if "katex" in configs and not katex_installed():
        print("pelican-katex or node not installed: skipping 'katex'", file=sys.stderr)
        configs.remove("katex")
    args.work.mkdir(parents=True, exist_ok=True)
    compile_package()

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    partials = not args.no_partials
    content = prepare_site(args.articles, args.equations, args.comments, args.work)
    if args.incremental:
        measured = [c for c in configs if c in ("plain", "bundle", "plain-bare")]
        incremental_main(args, measured, content)
        return
    builds = measure(
        content, configs, args.rounds, args.work, args.theme, partials, progress
    )
    print_warnings(builds)
    summaries = summarize(builds)
    print(f"machine: {machine()}")
    print(
        report(
            summaries,
            f"{args.articles} articles x {args.equations} display equations x "
            f"{args.comments} comments, theme {args.theme}"
            f"{' + partials' if partials else ''}, caching off",
        )
    )
    for config in BUILD_TYPESET.intersection(configs):
        output = args.work / f"out-{config}"
        pages, raw_pages, spans = math_left(output)
        megabytes = sum(f.stat().st_size for f in output.rglob("*") if f.is_file())
        print(
            f"{config}: {megabytes / 1e6:.0f} MB written; raw math left in "
            f"{raw_pages} of {pages} article pages, {spans} spans"
        )
    figures: dict[str, Any] = {
        "machine": machine(),
        "site": [args.articles, args.equations, args.comments],
        "summaries": {k: asdict(v) for k, v in summaries.items()},
    }
    if args.scale_to:
        big = prepare_site(args.scale_to, args.equations, args.comments, args.work)
        scale_configs = [c for c in ("plain", "bundle") if c in configs]
        big_builds = measure(
            big,
            scale_configs,
            args.scale_rounds,
            args.work,
            args.theme,
            partials,
            progress,
        )
        print_warnings(big_builds)
        big_summaries = summarize(big_builds)
        print(report(big_summaries, f"{args.scale_to} articles"))
        for config, summary in big_summaries.items():
            small = summaries[config]
            print(
                f"{config}: {args.scale_to}/{args.articles} articles: time ratio "
                f"{summary.seconds / small.seconds:.2f}, cpu ratio "
                f"{summary.cpu_seconds / small.cpu_seconds:.2f}, memory ratio "
                f"{summary.max_rss_mb / small.max_rss_mb:.2f}"
            )
        figures["scale"] = {
            "articles": args.scale_to,
            "summaries": {k: asdict(v) for k, v in big_summaries.items()},
        }
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


def incremental_main(args: argparse.Namespace, configs: list[str], content: Path):
    """``--incremental``: measure, print and save the rebuilds' figures."""
    from benchmarks import incremental

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    rebuilds, sizes = incremental.measure_incremental(
        content,
        configs,
        args.rounds,
        args.work,
        args.theme,
        not args.no_partials,
        progress,
    )
    table = incremental.summarize_incremental(rebuilds, sizes)
    print(f"machine: {machine()}")
    title = (
        f"{args.articles} articles x {args.equations} display equations x "
        f"{args.comments} comments, content cache on, {args.rounds} rounds, medians"
    )
    print(incremental.report_incremental(table, title))
    if args.json:
        figures = {
            "machine": machine(),
            "site": [args.articles, args.equations, args.comments],
            "incremental": table,
            "builds": [asdict(rebuild) for rebuild in rebuilds],
        }
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
