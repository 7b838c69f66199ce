"""Build-time benchmark of pelican-sujianlin against plain Pelican.

``generate.py`` writes a synthetic kexue.fm-like site, ``run.py`` builds it
with plain Pelican, with the bundle and with the nearest peer plugins, and
``profile_build.py`` shows where a bundle build spends its time.
"""
