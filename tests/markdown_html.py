"""Markdown as GitHub renders it (cmark-gfm, GitHub's engine), and what the HTML links to."""

from __future__ import annotations

from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options


def render(markdown: str) -> str:
    # Unsafe: raw HTML is kept (GitHub keeps <details>, <summary>, <sub>), so the checks see
    # any tag model text could smuggle through.
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "a":
            self.links.append(values.get("href") or "")
        if tag == "img" or any(name in ("src", "srcset", "background") for name, _ in attrs):
            self.images.append(values.get("src") or str(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(markdown: str) -> Page:
    page = Page()
    page.feed(render(markdown))
    page.close()
    return page
