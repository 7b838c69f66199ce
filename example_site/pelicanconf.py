"""Settings of the example site: a kexue.fm-style blog built with pelican-sujianlin.

Build from this folder with ``pelican content`` (Pelican reads this file from the
current folder) and preview with ``pelican --listen``. ``publishconf.py`` adds
what a published copy needs (an absolute SITEURL and feeds).
"""

import logging

AUTHOR = "江行"
SITENAME = "数理空间"
SITESUBTITLE = "在公式与代码之间慢慢走"
SITEURL = ""
RELATIVE_URLS = True
# Where the site is published: citations name this address even in a local build.
CITATION_SITEURL = "https://example.org/blog"

PATH = "content"
THEME = "theme"
PLUGINS = ["pelican_sujianlin"]

TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
DEFAULT_PAGINATION = 6

# Docutils has localizations for zh_cn and zh_tw but not "zh": Pelican warns once
# per build that reST falls back to English. The posts never show reST's own
# words, so that one message is filtered.
LOG_FILTER = [
    (logging.WARNING, "Docutils has no localization for '%s'. Using 'en' instead.")
]

# reST math (:math: and .. math::) is written out as TeX for MathJax, the same
# way Markdown and HTML posts carry it. Docutils wants a script URL here; only
# its own full-page template would use it, Pelican takes just the body.
DOCUTILS_SETTINGS = {"math_output": "MathJax mathjax.js"}

# MathJax 3 from the django-static-mathjax package (pip install
# "pelican-sujianlin[mathjax]"), copied into output/mathjax/ by the build: the
# site typesets its equations with no CDN and no network.
MATHJAX_URL = "local"

# kexue.fm-like addresses: /archives/<slug>/ for posts, folders everywhere.
ARTICLE_URL = "archives/{slug}/"
ARTICLE_SAVE_AS = "archives/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = "tag/{slug}/index.html"
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = "category/{slug}/index.html"
AUTHOR_URL = "author/{slug}/"
AUTHOR_SAVE_AS = "author/{slug}/index.html"
ARCHIVES_URL = "archives/"
ARCHIVES_SAVE_AS = "archives/index.html"
YEAR_ARCHIVE_URL = "archives/{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "archives/{date:%Y}/index.html"
TAGS_URL = "tags/"
TAGS_SAVE_AS = "tags/index.html"
CATEGORIES_URL = "categories/"
CATEGORIES_SAVE_AS = "categories/index.html"
AUTHORS_URL = "authors/"
AUTHORS_SAVE_AS = "authors/index.html"
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

STATIC_PATHS = ["images"]
DISPLAY_PAGES_ON_MENU = True
DISPLAY_CATEGORIES_ON_MENU = True

# Feeds need an absolute SITEURL: publishconf.py turns them on.
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

LINKS = (
    ("Pelican", "https://getpelican.com/"),
    ("MathJax", "https://www.mathjax.org/"),
    ("arXiv", "https://arxiv.org/"),
)

# A page per series and one listing them all (series plugin), as folders too.
SERIES_URL = "series/{slug}/"
SERIES_SAVE_AS = "series/{slug}/index.html"
SERIES_INDEX_URL = "series/"
SERIES_INDEX_SAVE_AS = "series/index.html"
