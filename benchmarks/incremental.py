"""Rebuilds with Pelican's content cache on: plain Pelican against the bundle.

    python benchmarks/run.py --incremental --rounds 3      # 1,000 articles

Per round and configuration (the configurations alternate, and their order
rotates from round to round), on a fresh copy of the generated site with
``CACHE_CONTENT`` and ``LOAD_CONTENT_CACHE`` on:

1. a cold build (empty cache), then the cache's size on disk;
2. ``pelican content`` after an edit: one article, then one comment file (a
   new comment), then the reader-count file, each rebuilt in a fresh process;
3. ``pelican --autoreload`` after the same three kinds of edit: one child
   process builds once from the cache, then, after each edit, calls
   ``run()`` again on the same ``Pelican`` object, as autoreload does.

Every build is timed inside its process (wall and CPU time of ``run()``);
the fresh-process builds also report their peak memory. The output folder
is kept between the builds of a sequence, as it is on a writer's machine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.run import (
    BARE_CONFIGS,
    alternating,
    build_in_child,
    configure_logging,
    plugins_of,
    site_settings,
)

EDITS = ("article", "comment", "counts")
STEPS = (
    "cold",
    *(f"{edit} (process)" for edit in EDITS),
    *(f"{edit} (autoreload)" for edit in EDITS),
)


@dataclass
class Rebuild:
    """One build of an incremental sequence."""

    config: str
    step: str
    seconds: float
    cpu_seconds: float
    max_rss_kb: int = 0  # fresh processes only
    warnings: int = 0


# --- the edits ------------------------------------------------------------------


def middle_slug(content: Path) -> str:
    """The slug (file stem) of the middle article of a generated site."""
    stems = sorted(path.stem for path in content.glob("*.md"))
    return stems[len(stems) // 2]


def count_file(content: Path) -> Path:
    return content.parent / "readers.json"


def write_counts(content: Path, bump: int = 0) -> None:
    """A stats file with a count per article (``bump`` added to the middle one's)
    and one for the about page, which has no ``Readers:`` metadata."""
    middle = middle_slug(content)
    counts = {
        f"/{path.stem}.html": 1000 + index + (bump if path.stem == middle else 0)
        for index, path in enumerate(sorted(content.glob("*.md")))
    }
    counts["/pages/about.html"] = 500 + bump
    count_file(content).write_text(json.dumps(counts), encoding="utf-8")


def edit(content: Path, kind: str, number: int) -> None:
    """Edit number ``number`` of kind ``kind`` (see ``EDITS``)."""
    slug = middle_slug(content)
    if kind == "article":
        with (content / f"{slug}.md").open("a", encoding="utf-8") as article:
            article.write(
                f"\n\n第{number}次修改：补充一段说明，其中$x_{number}$是变量。\n"
            )
    elif kind == "comment":
        folder = content / "comments" / slug
        folder.mkdir(parents=True, exist_ok=True)
        # newer than every generated comment, and not in the future
        when = dt.datetime.now() - dt.timedelta(days=1, minutes=10 - number)
        (folder / f"bench{number}.md").write_text(
            f"author: 新读者{number}\ndate: {when:%Y-%m-%d %H:%M}\n"
            f"slug: bench{number}\n\n第{number}条新评论，$e^{{i\\pi}}+1=0$。\n",
            encoding="utf-8",
        )
    elif kind == "counts":
        write_counts(content, bump=100_000 * number)
    else:
        raise ValueError(f"unknown edit {kind!r}")


# --- the builds -----------------------------------------------------------------


def cache_settings(content: Path, work: Path, config: str, theme: str, partials: bool):
    partials = partials and config not in BARE_CONFIGS
    settings = site_settings(
        content, work / "output", plugins_of(config), theme, partials
    )
    settings.update(
        CACHE_PATH=str(work / "cache"),
        CACHE_CONTENT=True,
        LOAD_CONTENT_CACHE=True,
        READER_COUNT_FILE=str(count_file(content)),
    )
    return settings


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def in_child(request: dict[str, Any], log: Path) -> tuple[dict[str, Any], int]:
    """Run ``run_request`` in a fresh interpreter; its answer and peak memory.
    (A single build goes through ``run.build_in_child``.)"""
    with tempfile.TemporaryDirectory() as folder:
        request_file = Path(folder) / "request.json"
        answer_file = Path(folder) / "answer.json"
        request_file.write_text(json.dumps(request), encoding="utf-8")
        command = [sys.executable, "-m", "benchmarks.incremental"]
        command += [str(request_file), str(answer_file)]
        root = Path(__file__).resolve().parent.parent
        with log.open("ab") as log_file:
            child = subprocess.Popen(
                command, stdout=log_file, stderr=log_file, cwd=root
            )
            _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            tail = log.read_text("utf-8", errors="replace").splitlines()[-15:]
            message = f"incremental build failed; {log} ends:\n" + "\n".join(tail)
            raise RuntimeError(message)
        return json.loads(answer_file.read_text(encoding="utf-8")), usage.ru_maxrss


def run_request(request: dict[str, Any]) -> dict[str, Any]:
    """The child's job: autoreload's sequence of builds and ``edits``."""
    settings = request["settings"]
    from pelican import Pelican
    from pelican.settings import read_settings

    warnings = configure_logging(settings)
    pelican = Pelican(read_settings(override=settings))
    content = Path(settings["PATH"])
    builds = []
    for kind, number in [(None, 0), *request["edits"]]:
        if kind:
            edit(content, kind, number)
        warnings.clear()
        start, cpu_start = time.perf_counter(), time.process_time()
        pelican.run()
        builds.append(
            {
                "seconds": time.perf_counter() - start,
                "cpu_seconds": time.process_time() - cpu_start,
                "warnings": list(warnings),
            }
        )
    return {"builds": builds[1:]}  # the first run only starts autoreload


def sequence(
    source: Path, config: str, work: Path, theme: str, partials: bool
) -> tuple[list[Rebuild], int]:
    """One configuration's builds of one round; and its cache size on disk."""
    shutil.rmtree(work, ignore_errors=True)
    content = work / "content"
    shutil.copytree(source, content)
    write_counts(content)
    settings = cache_settings(content, work, config, theme, partials)
    log = work / "build.log"
    rebuilds = []

    def fresh(step: str) -> None:
        build = build_in_child(config, dict(settings), log, clean=False)
        rebuilds.append(
            Rebuild(
                config,
                step,
                build.seconds,
                build.cpu_seconds,
                build.max_rss_kb,
                len(build.warnings),
            )
        )

    fresh("cold")
    cache_size = folder_size(work / "cache")
    for number, kind in enumerate(EDITS, 1):
        edit(content, kind, number)
        fresh(f"{kind} (process)")
    edits = [(kind, number) for number, kind in enumerate(EDITS, len(EDITS) + 1)]
    answer, _ = in_child({"settings": settings, "edits": edits}, log)
    for kind, build in zip(EDITS, answer["builds"], strict=True):
        rebuilds.append(
            Rebuild(
                config,
                f"{kind} (autoreload)",
                build["seconds"],
                build["cpu_seconds"],
                0,
                len(build["warnings"]),
            )
        )
    return rebuilds, cache_size


def measure_incremental(
    source: Path,
    configs: list[str],
    rounds: int,
    work: Path,
    theme: str = "notmyidea",
    partials: bool = True,
    progress=None,
) -> tuple[list[Rebuild], dict[str, list[int]]]:
    """Every configuration's sequence ``rounds`` times, alternating them."""
    rebuilds: list[Rebuild] = []
    sizes: dict[str, list[int]] = {config: [] for config in configs}
    for number, config in alternating(configs, rounds):
        mine, size = sequence(
            source, config, work / f"incremental-{config}", theme, partials
        )
        rebuilds += mine
        sizes[config].append(size)
        if progress:
            figures = "  ".join(
                f"{r.step.split()[0][:4]}{'*' if 'auto' in r.step else ''} "
                f"{r.seconds:.2f}/{r.cpu_seconds:.2f}"
                for r in mine
            )
            progress(
                f"round {number + 1}/{rounds} {config:8s} {figures}  "
                f"cache {size / 2**20:.2f} MB"
            )
    return rebuilds, sizes


def summarize_incremental(
    rebuilds: list[Rebuild], sizes: dict[str, list[int]]
) -> dict[str, Any]:
    """Medians per configuration and step; the cache's median size."""
    table: dict[str, Any] = {}
    for config in dict.fromkeys(r.config for r in rebuilds):
        steps = {}
        for step in STEPS:
            mine = [r for r in rebuilds if r.config == config and r.step == step]
            if not mine:
                continue
            steps[step] = {
                "rounds": len(mine),
                "seconds": statistics.median(r.seconds for r in mine),
                "cpu_seconds": statistics.median(r.cpu_seconds for r in mine),
                "max_rss_mb": statistics.median(r.max_rss_kb for r in mine) / 1024,
                "spread": [min(r.seconds for r in mine), max(r.seconds for r in mine)],
                "warnings": max(r.warnings for r in mine),
            }
        table[config] = {
            "steps": steps,
            "cache_mb": statistics.median(sizes[config]) / 2**20,
        }
    return table


def report_incremental(table: dict[str, Any], title: str) -> str:
    configs = list(table)
    plain = table.get("plain")
    lines = [title]
    header = f"{'build':22s}"
    for config in configs:
        header += f" {config + ' s':>9s} {'cpu':>6s} {'range':>11s}"
    bare = table.get("plain-bare")
    if plain:
        header += f" {'time/plain':>10s} {'cpu/plain':>9s}"
    if bare:
        header += f" {'cpu/bare':>9s}"
    lines.append(header)
    for step in STEPS:
        row = f"{step:22s}"
        for config in configs:
            figures = table[config]["steps"].get(step)
            if figures is None:
                row += f" {'':>9s} {'':>6s} {'':>11s}"
                continue
            low, high = figures["spread"]
            row += (
                f" {figures['seconds']:9.2f} {figures['cpu_seconds']:6.2f}"
                f" {f'{low:.2f}-{high:.2f}':>11s}"
            )
        bundle = table.get("bundle", {}).get("steps", {}).get(step)
        mine = plain["steps"].get(step) if plain else None
        if bundle and mine:
            row += (
                f" {bundle['seconds'] / mine['seconds']:10.3f}"
                f" {bundle['cpu_seconds'] / mine['cpu_seconds']:9.3f}"
            )
        bare_step = bare["steps"].get(step) if bare else None
        if bundle and bare_step:
            row += f" {bundle['cpu_seconds'] / bare_step['cpu_seconds']:9.3f}"
        lines.append(row)
    sizes = "  ".join(
        f"{config} {table[config]['cache_mb']:.2f} MB" for config in configs
    )
    line = f"cache on disk after the cold build: {sizes}"
    if plain and "bundle" in table:
        line += f" (bundle/plain {table['bundle']['cache_mb'] / plain['cache_mb']:.3f})"
    lines.append(line)
    memory = "  ".join(
        f"{config} {table[config]['steps']['cold']['max_rss_mb']:.0f} MB"
        for config in configs
    )
    lines.append(f"peak memory of the cold build: {memory}")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    """Child entry: ``python -m benchmarks.incremental REQUEST ANSWER``."""
    request, answer = map(Path, argv)
    result = run_request(json.loads(request.read_text("utf-8")))
    answer.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
