"""The README's commands, pasted one after another from the repository root of
a fresh copy, work; no command in the docs calls a bare ``pelican``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO

FENCE = re.compile(r"```sh\n(.*?)```", re.S)
# Not part of a fresh clone: what the install line and the builds make.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    "output",
    "cache",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "*.egg-info",
)


def shell_blocks(path: Path, heading: str | None = None) -> list[str]:
    """The ``sh`` code blocks of a Markdown file (below ``heading`` only, up to
    the next heading of its level, when given)."""
    text = path.read_text(encoding="utf-8")
    if heading is not None:
        start = text.index(heading)
        end = text.find("\n## ", start + len(heading))
        text = text[start : end if end >= 0 else None]
    return FENCE.findall(text)


def commands(block: str) -> list[str]:
    return [line.strip() for line in block.splitlines() if line.strip()]


def fake_venv(root: Path) -> None:
    """``.venv/bin/pelican`` and ``.venv/bin/pytest`` running this interpreter:
    the install line would need the network, which tests never use."""
    bin_folder = root / ".venv" / "bin"
    bin_folder.mkdir(parents=True)
    for name in ("pelican", "pytest"):
        script = bin_folder / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {name} "$@"\n')
        script.chmod(0o755)


def test_readme_commands_work_pasted_in_order(tmp_path):
    """From the root of a copy of the repository, the README's "Try it" lines
    run in one shell, in order: the build writes the example site without a
    warning and leaves the shell at the root, where the test command finds
    the tests (it is run with ``--collect-only``: the suite itself runs apart).
    The install line is replaced by a stand-in virtualenv (no network)."""
    (block,) = shell_blocks(REPO / "README.md", "## Try it")
    lines = commands(block)
    assert len(lines) == 3, lines
    install, build, test = lines
    assert install.startswith("python3 -m venv .venv && .venv/bin/pip install -e ")
    assert test == ".venv/bin/pytest"
    root = tmp_path / "clone"
    shutil.copytree(REPO, root, ignore=NOT_IN_A_CLONE)
    fake_venv(root)
    script = "\n".join(["set -e", build, "pwd", test + " --collect-only -q", ""])
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stdout + done.stderr
    assert f"\n{root}\n" in done.stdout  # the build left the shell at the root
    assert re.search(r"^\d+ tests collected", done.stdout, re.M), done.stdout
    assert (root / "example_site" / "output" / "index.html").is_file()
    assert (
        root / "example_site" / "output" / "archives" / "diffusion-models-2"
    ).is_dir()


def test_no_bare_pelican_in_the_docs():
    """Only ``.venv/bin/pelican`` exists after the README's install line."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    bare = re.compile(r"(?:^|[;&|(]\s*)pelican\s")
    for page in pages:
        for block in shell_blocks(page):
            for line in commands(block):
                assert not bare.search(line), f"{page.name}: {line}"
