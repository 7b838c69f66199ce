"""Write a page per series and a page listing them all.

The theme's ``series.html`` / ``series_index.html`` are used when it has
them; otherwise the bundle's own (``pelican_sujianlin/templates/``, last on
every generator's loader), which extend the theme's ``base.html``. Nothing is
written for a site without series.
"""

from __future__ import annotations

from pelican.generators import Generator


class SeriesGenerator(Generator):
    """Writes ``series/{slug}.html`` pages and ``series/index.html``."""

    def generate_output(self, writer) -> None:
        relative_urls = self.settings.get("RELATIVE_URLS", False)
        all_series = self.context.get("series_list") or []
        pages = [series for series in all_series if series.save_as]
        if pages:
            template = self.get_template("series")
            for series in pages:
                by_date = sorted(series.articles, key=lambda a: a.date, reverse=True)
                writer.write_file(
                    series.save_as,
                    template,
                    self.context,
                    relative_urls,
                    paginated={
                        "articles": series.articles,
                        "parts": series.parts,
                        "dates": by_date,
                    },
                    template_name="series",
                    url=series.url,
                    series=series,
                    articles=series.articles,
                    parts=series.parts,
                    dates=by_date,
                    page_name=series.save_as.rsplit(".", 1)[0],
                )
        index = self.context.get("series_index")
        if index is not None and index.save_as:  # empty with no listed series
            writer.write_file(
                index.save_as,
                self.get_template("series_index"),
                self.context,
                relative_urls,
                template_name="series_index",
                url=index.url,
                page_name=index.save_as.rsplit(".", 1)[0],
            )
