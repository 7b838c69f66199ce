"""The plugins' own files in CACHE_PATH (pelican_sujianlin.cache)."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pelican_sujianlin.cache import load_state, opener, save_state, source_digest


@pytest.mark.parametrize("gzip_cache", [True, False])
def test_a_state_comes_back_only_with_its_digest(tmp_path, gzip_cache):
    path = tmp_path / "sub" / "state.pickle"
    open_file = opener({"GZIP_CACHE": gzip_cache})
    state = {"a": ("x", 1, None), "b": [("y", 2, "")]}
    save_state(path, "d1", state, open_file)
    assert load_state(path, "d1", open_file) == state
    assert load_state(path, "d2", open_file) is None  # another version
    assert load_state(tmp_path / "missing", "d1", open_file) is None
    assert os.listdir(path.parent) == ["state.pickle"]  # no temporary file left
    assert (path.read_bytes()[:2] == b"\x1f\x8b") is gzip_cache


def test_a_shared_state_pickles_each_object_once(tmp_path):
    """``shared=True``: an object referred to many times (a comment date's
    time zone) is written once."""
    zone = ZoneInfo("Asia/Shanghai")
    state = [datetime(2020, 1, day, tzinfo=zone) for day in range(1, 29)]
    sizes = {}
    for shared in (False, True):
        path = tmp_path / f"{shared}.pickle"
        save_state(path, "d", state, shared=shared)
        sizes[shared] = path.stat().st_size
        assert load_state(path, "d") == state
    assert sizes[True] < sizes[False] * 0.75


def test_a_corrupt_file_is_a_warning_and_nothing(tmp_path, caplog):
    path = tmp_path / "state.pickle"
    path.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        assert load_state(path, "d1") is None
    assert str(path) in caplog.text


def test_a_file_that_cannot_be_written_is_a_warning(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        save_state(blocker / "state.pickle", "d1", {"a": 1})
    assert "Cannot write the cache file" in caplog.text
    unpicklable = tmp_path / "state.pickle"
    save_state(unpicklable, "d1", {"a": lambda: 1})
    assert not unpicklable.exists()
    assert os.listdir(tmp_path) == ["file"]


def test_source_digest_follows_the_code_and_the_parts(tmp_path):
    module = type("Module", (), {"__file__": str(tmp_path / "m.py")})
    (tmp_path / "m.py").write_text("x = 1\n", encoding="utf-8")
    first = source_digest("1", "UTC", modules=[module])
    assert first == source_digest("1", "UTC", modules=[module])
    assert first != source_digest("1", "Asia/Shanghai", modules=[module])
    (tmp_path / "m.py").write_text("x = 2\n", encoding="utf-8")
    assert first != source_digest("1", "UTC", modules=[module])
