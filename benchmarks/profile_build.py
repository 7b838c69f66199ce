"""Profile one build of a generated site and show where the bundle spends time.

    python benchmarks/profile_build.py                  # 1,000 articles, bundle
    python benchmarks/profile_build.py --articles 200 --top 40
    python benchmarks/profile_build.py --save bundle.prof   # for snakeviz etc.
    python benchmarks/profile_build.py --plugins ""         # plain Pelican
    python benchmarks/profile_build.py --config bundle-build  # a run.py configuration

Runs ``Pelican(settings).run()`` under cProfile in this process (the settings
of ``run.py``: same theme, caching off) and prints:

1. per module of ``pelican_sujianlin`` (templates included), the time spent
   in it and below it when entered from outside the package (signal
   receivers, Markdown extension hooks, template renders), and its own time;
2. the functions of the package with the largest cumulative time;
3. the functions of the whole build with the largest own time, for context.

With ``--warm`` it profiles a rebuild with the content cache on instead: a
copy of the site is built once in a child process (filling the cache), one
article is edited, and the rebuild is profiled (as ``pelican content`` after a
save: every other file comes from the cache).

With ``--instructions`` it counts the instructions a child build runs, under
valgrind's cachegrind (about 15 times slower): a figure that other work on the
machine does not change, to compare configurations on a shared machine (it
leaves out the kernel's time and the cost of cache misses, which CPU time has).

With ``--py-spy`` (``pip install py-spy``) it samples a child build instead,
with little overhead, and prints each module's and function's share of the
samples. With ``--memory`` it traces allocations instead (tracemalloc) and prints what
is still alive when the build ends, by file and by line of the package.

cProfile slows Python code down (about 1.5-2x) unevenly: compare figures
within one profile, and take wall-clock figures from ``run.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/profile_build.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import add_size_arguments
from benchmarks.run import (
    CONFIG_SETTINGS,
    add_site_arguments,
    plugins_of,
    prepare_cache,
    prepare_site,
    site_settings,
)

PACKAGE = "pelican_sujianlin"

Function = tuple[str, int, str]


def in_package(function: Function) -> bool:
    return f"/{PACKAGE}/" in function[0].replace("\\", "/")


def module_of(function: Function) -> str:
    path = function[0].replace("\\", "/")
    return path.split(f"/{PACKAGE}/", 1)[1]


def profile_build(settings: dict) -> tuple[pstats.Stats, float]:
    """Build once under cProfile; return the statistics and the wall time."""
    from pelican import Pelican
    from pelican.settings import read_settings

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    Pelican(read_settings(override=settings)).run()
    profiler.disable()
    return pstats.Stats(profiler), time.perf_counter() - start


def memory_build(settings: dict) -> tuple[list, float]:
    """Build once under tracemalloc; snapshot what is alive when the build ends
    (every content object still held, at Pelican's ``finalized`` signal)."""
    import tracemalloc

    from pelican import Pelican
    from pelican.plugins import signals
    from pelican.settings import read_settings

    snapshots = []

    def snapshot(_pelican) -> None:
        snapshots.append(tracemalloc.take_snapshot())

    tracemalloc.start(1)
    signals.finalized.connect(snapshot)
    try:
        Pelican(read_settings(override=settings)).run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        signals.finalized.disconnect(snapshot)
        tracemalloc.stop()
    return snapshots[0].statistics("lineno"), peak / 2**20


def memory_report(statistics: list, peak_mb: float, top: int) -> str:
    """Live memory at the end of the build: per file, and the package's lines."""
    out = io.StringIO()
    total = sum(stat.size for stat in statistics)
    print(
        f"traced memory: {total / 2**20:.1f} MB alive at the end of the build, "
        f"peak {peak_mb:.1f} MB",
        file=out,
    )
    per_file: dict[str, int] = defaultdict(int)
    for stat in statistics:
        frame = stat.traceback[0]
        per_file[describe((frame.filename, 0, "")).rsplit(":", 1)[0]] += stat.size
    print("\nalive, by the file that allocated it:", file=out)
    for name, size in sorted(per_file.items(), key=lambda item: -item[1])[:top]:
        print(f"{size / 2**20:8.2f} MB  {name}", file=out)
    print(f"\nalive, allocated by lines of {PACKAGE}:", file=out)
    mine = [s for s in statistics if in_package((s.traceback[0].filename, 0, ""))]
    for stat in mine[:top]:
        frame = stat.traceback[0]
        where = describe((frame.filename, frame.lineno, "")).rsplit("(", 1)[0]
        print(f"{stat.size / 2**20:8.2f} MB {stat.count:8d} blocks  {where}", file=out)
    return out.getvalue()


def child_build(settings: dict, tool: list[str]) -> str:
    """Build once in a child process run by ``tool`` (a command line to
    which the child's is appended); return what it wrote on stderr."""
    import json
    import shutil
    import subprocess
    import tempfile

    if shutil.which(tool[0]) is None:
        raise SystemExit(f"{tool[0]} is not installed")
    runner = Path(__file__).resolve().parent / "run.py"
    with tempfile.TemporaryDirectory() as folder:
        request, answer = Path(folder) / "request.json", Path(folder) / "answer.json"
        request.write_text(json.dumps(settings), encoding="utf-8")
        command = [*tool, sys.executable, str(runner)]
        command += ["--build-one", str(request), str(answer)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
    return done.stderr


def spy_build(settings: dict, rate: int, raw: Path) -> None:
    """Build once in a child process sampled by py-spy (little overhead)."""
    tool = ["py-spy", "record", "--nonblocking", "-r", str(rate), "-f", "raw"]
    child_build(settings, [*tool, "-o", str(raw), "--"])


def count_instructions(settings: dict) -> int:
    """The instructions a build in a child process runs (valgrind's
    cachegrind, no cache simulation; interpreter start-up included)."""
    tool = ["valgrind", "--tool=cachegrind", "--cache-sim=no"]
    stderr = child_build(settings, [*tool, "--cachegrind-out-file=/dev/null"])
    found = re.search(r"I\s+refs:\s+([\d,]+)", stderr)
    if found is None:
        raise SystemExit("valgrind printed no instruction count:\n" + stderr[-2000:])
    return int(found.group(1).replace(",", ""))


# py-spy names a Jinja template's frame by its file name only.
BUNDLE_TEMPLATES = frozenset(
    path.name
    for path in (Path(__file__).resolve().parent.parent / PACKAGE / "templates").rglob(
        "*.html"
    )
)
SPY_FRAME = re.compile(r"(?P<name>.*) \((?P<path>.*):(?P<line>\d+)\)$")


def spy_report(raw_text: str, top: int) -> str:
    """Inclusive share of samples per module and function of the package
    (a module is charged when it is the outermost package frame of a
    sample), and per phase of ``Pelican.run``."""
    total = 0
    modules: dict[str, int] = defaultdict(int)
    functions: dict[str, int] = defaultdict(int)
    phases: dict[str, int] = defaultdict(int)
    for line in raw_text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [SPY_FRAME.match(frame) for frame in stack.split(";")]
        frames = [frame for frame in frames if frame]
        mine = []
        for frame in frames:
            path = "/" + frame["path"].replace("\\", "/")
            if f"/{PACKAGE}/" in path:
                mine.append((path.split(f"/{PACKAGE}/", 1)[1], frame["name"]))
            elif path.count("/") == 1 and path[1:] in BUNDLE_TEMPLATES:
                mine.append((f"templates/{path[1:]}", frame["name"]))
        if mine:
            modules[mine[0][0]] += count
        for module, name in set(mine):
            functions[f"{module}:{name}"] += count
        names = [frame["name"] for frame in frames]
        if "Pelican.run" in names:
            index = names.index("Pelican.run") + 1
            phases[names[index] if index < len(names) else "Pelican.run"] += count
    total = max(total, 1)
    out = io.StringIO()
    print(f"py-spy: {total} samples", file=out)
    sections = [
        (f"{PACKAGE} per module (outermost package frame)", modules),
        (f"functions of {PACKAGE}, inclusive", functions),
        ("phases of Pelican.run", phases),
    ]
    for title, table in sections:
        print(f"\n{title}:", file=out)
        for name, count in sorted(table.items(), key=lambda item: -item[1])[:top]:
            print(f"{100 * count / total:6.1f}%  {name}", file=out)
    return out.getvalue()


def module_totals(stats: pstats.Stats) -> dict[str, tuple[float, float, int]]:
    """Per module: (time entered from outside, own time, calls from outside)."""
    entered: dict[str, float] = defaultdict(float)
    own: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    for function, (_, _, tottime, _, callers) in stats.stats.items():
        if not in_package(function):
            continue
        module = module_of(function)
        own[module] += tottime
        for caller, (_, caller_calls, _, cumtime) in callers.items():
            if not in_package(caller):
                entered[module] += cumtime
                calls[module] += caller_calls
    return {
        module: (entered[module], own[module], calls[module])
        for module in sorted(own, key=lambda m: -entered[m])
    }


def top_functions(
    stats: pstats.Stats, count: int, key: int, package_only: bool
) -> list[tuple[Function, int, float, float]]:
    """(function, calls, own time, cumulative time), largest ``key`` first."""
    rows = [
        (function, values[1], values[2], values[3])
        for function, values in stats.stats.items()
        if in_package(function) or not package_only
    ]
    rows.sort(key=lambda row: -row[key])
    return rows[:count]


def describe(function: Function) -> str:
    filename, line, name = function
    if in_package(function):
        return f"{PACKAGE}/{module_of(function)}:{line}({name})"
    if filename == "~":
        return name
    parts = Path(filename).parts
    return f"{'/'.join(parts[-2:])}:{line}({name})"


def report(stats: pstats.Stats, wall: float, top: int) -> str:
    out = io.StringIO()
    total = max(stats.total_tt, 1e-9)
    print(f"profiled build: {wall:.2f} s wall, {total:.2f} s profiled", file=out)
    print(f"\n{PACKAGE} per module (entered from outside the package):", file=out)
    print(
        f"{'module':40s} {'cum s':>8s} {'% build':>8s} {'own s':>7s} {'calls':>8s}",
        file=out,
    )
    for module, (entered, own, calls) in module_totals(stats).items():
        print(
            f"{module:40s} {entered:8.3f} {100 * entered / total:7.1f}% "
            f"{own:7.3f} {calls:8d}",
            file=out,
        )
    print(f"\ntop {top} functions of {PACKAGE} by cumulative time:", file=out)
    print(f"{'cum s':>8s} {'own s':>7s} {'calls':>8s}  function", file=out)
    for function, calls, own, cumulative in top_functions(stats, top, 3, True):
        print(
            f"{cumulative:8.3f} {own:7.3f} {calls:8d}  {describe(function)}", file=out
        )
    print(f"\ntop {top} functions of the whole build by own time:", file=out)
    for function, calls, own, cumulative in top_functions(stats, top, 2, False):
        print(
            f"{cumulative:8.3f} {own:7.3f} {calls:8d}  {describe(function)}", file=out
        )
    return out.getvalue()


def warm_settings(
    content: Path, work: Path, plugins: list[str], theme: str, partials: bool
) -> dict:
    """Settings of a rebuild from a filled content cache, after one edit: a
    copy of the site is built in a child process, then one article is edited."""
    import shutil

    from benchmarks import incremental
    from benchmarks.run import build_in_child

    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(content, work / "content")
    incremental.write_counts(work / "content")
    settings = incremental.cache_settings(
        work / "content", work, "plain", theme, partials
    )
    settings["PLUGINS"] = plugins
    build_in_child("cold", dict(settings), work / "cold.log", clean=False)
    incremental.edit(work / "content", "article", 1)
    return settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--plugins",
        default="pelican_sujianlin",
        help="comma-separated PLUGINS ('' for plain Pelican)",
    )
    parser.add_argument(
        "--config",
        help="a configuration of run.py instead of --plugins, with its settings "
        "(bundle-build: the formula cache is filled by an unprofiled build first)",
    )
    add_site_arguments(parser)
    parser.add_argument("--save", type=Path, help="also write the raw profile here")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="profile a rebuild with the content cache on, after one article's "
        "edit (the cache is filled by a build in a child process first)",
    )
    parser.add_argument(
        "--py-spy",
        action="store_true",
        help="sample a child build with py-spy instead of cProfile",
    )
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples/s")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count the instructions of a child build (valgrind) instead",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="trace memory (tracemalloc) instead of time",
    )
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    content = prepare_site(args.articles, args.equations, args.comments, args.work)
    plugins = [name.strip() for name in args.plugins.split(",") if name.strip()]
    if args.config:
        plugins = plugins_of(args.config)
    partials = not args.no_partials
    output = args.work / (
        f"out-profile-{args.config}" if args.config else "out-profile"
    )
    settings = site_settings(content, output, plugins, args.theme, partials)
    if args.config:
        settings.update(CONFIG_SETTINGS.get(args.config, {}))
        prepare_cache(args.config, settings, args.work)
    if args.warm:
        settings = warm_settings(
            content, args.work / "warm-profile", plugins, args.theme, partials
        )
    if args.instructions:
        print(f"{count_instructions(settings):,} instructions")
        return
    if args.py_spy:
        raw = args.save or args.work / "py-spy.txt"
        spy_build(settings, args.rate, raw)
        print(spy_report(raw.read_text(encoding="utf-8"), args.top))
        return
    if args.memory:
        statistics, peak_mb = memory_build(settings)
        print(memory_report(statistics, peak_mb, args.top))
        return
    stats, wall = profile_build(settings)
    if args.save:
        stats.dump_stats(str(args.save))
    print(report(stats, wall, args.top))


if __name__ == "__main__":
    main()
