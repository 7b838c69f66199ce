"""All of issue 16's careless and hostile input at once, at a real build: a
random stats file, a random value of a random setting and random comment
files. The build ends without an error and every valid neighbour is shown."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_comment_files import KEYS, NAMES, VALUES, section
from test_reader_count_input import CELLS
from test_settings import ALL_CHECKS, CONTENT, OTHER, SITE, WRONG_VALUES, lenient

# Settings whose random value may rightly hide what the neighbours check.
HIDES_COUNTS = {"READER_COUNT_FILE", "READER_COUNT_FORMAT"}
HIDES_COMMENTS = {"COMMENTS_PATH"}
HIDES_TEXT = {"READ_MORE_MARKER"}  # a marker "段" would stand in 开头的一段


def comment_files(bad) -> dict[str, str]:
    files = {}
    for name, meta, body in bad:
        lines = "".join(
            f"{key}: {' '.join(value.splitlines())}\n" for key, value in meta.items()
        )
        files[f"comments/diffusion-1/x{name}.md"] = f"{lines}\n{body}\n"
    return files


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(st.text(max_size=12), CELLS), max_size=5),
    as_json=st.booleans(),
    name=st.sampled_from(sorted(ALL_CHECKS)),
    value=WRONG_VALUES,
    bad=st.lists(
        st.tuples(
            NAMES, st.dictionaries(KEYS, VALUES, max_size=6), st.text(max_size=20)
        ),
        max_size=4,
    ),
)
def test_hostile_input_builds_and_keeps_every_valid_neighbour(
    build_site, rows, as_json, name, value, bad
):
    rows = [(path.replace("other", "o"), count) for path, count in rows]
    if as_json:
        stats = json.dumps({"/archives/other/": 7, **dict(rows)}, ensure_ascii=False)
    else:
        lines = [",".join('"' + c.replace('"', "") + '"' for c in row) for row in rows]
        stats = "path,count\n/archives/other/,7\n" + "\n".join(lines) + "\n"
    content = {
        **CONTENT,
        "other.md": OTHER.replace("Readers: 50\n", ""),  # its count: the file's
        "stats.csv": stats,
        **comment_files(bad),
    }
    site = build_site(content, **{**SITE, **lenient(name), name: value})
    first = site.read("archives/diffusion-1/index.html")
    other = site.read("archives/other/index.html")
    if name not in HIDES_TEXT:
        assert "开头的一段" in first
        assert "第二篇的正文" in site.read("archives/diffusion-2/index.html")
        assert "中文长文" in other
    if name not in HIDES_COUNTS:
        assert "7位读者" in other
        assert "100位读者" in first
    if name not in HIDES_COMMENTS:
        thread = section(first, '<section id="comments"')
        assert thread.count("评论甲的内容") == 1
        assert thread.count("回复乙的内容") == 1
