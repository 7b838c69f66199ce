"""The bundle's template loader and the compiled-template cache (theme.py)."""

from __future__ import annotations

import logging
import shutil
import zlib

from conftest import BASE_SETTINGS, run_pelican, write_content
from jinja2 import DictLoader, Environment

from pelican_sujianlin.theme import (
    TEMPLATE_CACHE,
    SharedItems,
    TemplateCodeCache,
    environment_syntax,
)

ITEMS_TEMPLATE = (
    "{% call(item) items(SITEURL, flag) %}<li>{{ SITEURL }}/{{ item }}</li>"
    "{% endcall %}"
)


def test_shared_items_render_once_per_arguments():
    """Each item's block runs once per SITEURL (and flag), whatever the
    number of pages; the items stay a plain list to loop over."""
    runs = []
    items = SharedItems(["a", "b"])
    env = Environment()
    env.globals["note"] = lambda item: runs.append(item) or ""
    template = env.from_string(ITEMS_TEMPLATE.replace("<li>", "{{ note(item) }}<li>"))
    pages = [(".", 1), ("..", 1), (".", 1), (".", 2), (".", 0), (".", None)]
    out = [template.render(items=items, SITEURL=s, flag=f) for s, f in pages]
    assert out[0] == out[2] == out[3] == "<li>./a</li><li>./b</li>"
    assert out[1] == "<li>../a</li><li>../b</li>"
    assert out[4] == out[5] == out[0]
    assert runs == ["a", "b"] * 3  # ".", "..", then "." without the flag
    assert list(items) == ["a", "b"]
    assert items[1] == "b"


def test_shared_items_keep_an_autoescaping_theme_safe():
    """With autoescape on, an item's text is escaped once and the joined
    items are not escaped again."""
    env = Environment(autoescape=True)
    template = env.from_string(ITEMS_TEMPLATE)
    items = SharedItems(["<b>"])
    for _ in range(2):
        assert template.render(items=items, SITEURL="", flag=1) == "<li>/&lt;b&gt;</li>"


def test_a_cache_folder_that_cannot_be_written_is_one_warning(tmp_path, caplog):
    """The folder vanished (or turned read-only) during the build: templates
    still compile and render, with one warning naming the folder."""
    folder = tmp_path / "templates"
    env = Environment(loader=DictLoader({"a.html": "a{{ x }}", "b.html": "b"}))
    env.bytecode_cache = TemplateCodeCache(folder, environment_syntax(env))
    shutil.rmtree(folder)
    folder.write_text("a file where the folder was", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert env.get_template("a.html").render(x=1) == "a1"
        assert env.get_template("b.html").render() == "b"
    assert caplog.text.count("Cannot keep compiled templates") == 1
    assert str(folder) in caplog.text


def test_another_syntax_never_shares_compiled_code(tmp_path):
    """Two environments that compile the same source differently (another
    delimiter) each get their own: neither renders the other's code."""
    source = {"a.html": "{{ x }}<% x %>"}
    plain = Environment(loader=DictLoader(source))
    other = Environment(loader=DictLoader(source), variable_start_string="<%")
    other.variable_end_string = "%>"
    for env in (plain, other):
        env.bytecode_cache = TemplateCodeCache(tmp_path, environment_syntax(env))
    assert plain.get_template("a.html").render(x=1) == "1<% x %>"
    assert other.get_template("a.html").render(x=1) == "{{ x }}1"


def test_a_build_whose_cache_folder_cannot_be_made_still_builds(tmp_path):
    content = tmp_path / "content"
    write_content(content, {"a.md": "Title: A\nDate: 2024-01-01\n\n正文$x$。\n"})
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / TEMPLATE_CACHE).write_text("not a folder", encoding="utf-8")
    settings = {
        **BASE_SETTINGS,
        "PATH": str(content),
        "OUTPUT_PATH": str(tmp_path / "output"),
        "CACHE_PATH": str(cache),
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        "PLUGINS": ["pelican_sujianlin"],
    }
    warnings = run_pelican(settings)
    assert "正文" in (tmp_path / "output" / "a.html").read_text(encoding="utf-8")
    assert warnings == []


def test_environments_whose_code_cannot_be_told_apart_get_no_cache():
    """A callable autoescape or a finalize shapes compiled code but is a
    function of the site's own: such an environment compiles as Pelican does."""
    assert environment_syntax(Environment()) is not None
    assert environment_syntax(Environment(finalize=lambda value: value)) is None
    assert environment_syntax(Environment(autoescape=lambda name: True)) is None
    assert environment_syntax(Environment(enable_async=True)) != environment_syntax(
        Environment()
    )


def compiles(env: Environment, name: str) -> int:
    """How many times loading ``name`` into a fresh copy of ``env`` compiles it."""
    count = 0
    fresh = env.overlay()
    fresh.cache = {}
    real = fresh.compile

    def counting(*args, **kwargs):
        nonlocal count
        count += 1
        return real(*args, **kwargs)

    fresh.compile = counting
    fresh.get_template(name)
    return count


def test_compressed_compiled_templates_load_back(tmp_path):
    """With GZIP_CACHE (compress=True) the files are zlib data, smaller than
    Jinja's own, and a second environment loads them without compiling; a
    damaged file is compiled again, silently; the uncompressed files of the
    same folder are never read as compressed ones."""
    source = {
        "a.html": "{% for i in range(3) %}<p>{{ i }} {{ x|e }}</p>{% endfor %}" * 20
    }
    packed, raw = tmp_path / "packed", tmp_path / "raw"
    for folder, compress in ((packed, True), (raw, False)):
        env = Environment(loader=DictLoader(source))
        env.bytecode_cache = TemplateCodeCache(
            folder, environment_syntax(env), compress=compress
        )
        assert compiles(env, "a.html") == 1
        assert compiles(env, "a.html") == 0
        assert env.get_template("a.html").render(x="<").count("&lt;") == 60
    (packed_file,), (raw_file,) = packed.iterdir(), raw.iterdir()
    assert zlib.decompress(packed_file.read_bytes()) == raw_file.read_bytes()
    assert packed_file.stat().st_size < raw_file.stat().st_size / 2
    env = Environment(loader=DictLoader(source))
    env.bytecode_cache = TemplateCodeCache(
        packed, environment_syntax(env), compress=True
    )
    packed_file.write_bytes(packed_file.read_bytes()[:40])
    assert compiles(env, "a.html") == 1
    assert compiles(env, "a.html") == 0  # written whole again
    shutil.copy(raw_file, packed / raw_file.name)
    assert compiles(env, "a.html") == 0  # its own file, not the raw one
    env = Environment(loader=DictLoader(source))
    env.bytecode_cache = TemplateCodeCache(raw, environment_syntax(env))
    raw_file.write_bytes(raw_file.read_bytes()[:20])  # cut inside the checksum
    assert compiles(env, "a.html") == 1
