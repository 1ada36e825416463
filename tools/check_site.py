"""Check a built site: every internal link and anchor resolves, and nothing loads from the network.

    python tools/check_site.py docs/_build/html

For every HTML page: each ``href``/``src`` of ``a``, ``link``, ``img``, ``script``, ``iframe``,
``source`` that points inside the site must name a file that exists (a folder: its ``index.html``)
and, with ``#anchor``, an element of that page with that ``id`` (or ``name``). A resource the page
loads (stylesheet, script, image, frame) may not come from another host: the site works offline.
Links *to* other sites (``<a href="https://…">``) are allowed. Prints each problem on one line and
exits 1 if there is any; ``tests/test_docs_site.py`` runs ``problems`` on the built site and on a
planted broken one.
"""
from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LOADED = {"link": "href", "img": "src", "script": "src", "iframe": "src", "source": "src"}   # fetched by the page
SKIPPED_SCHEMES = {"mailto", "data", "javascript", "tel"}


class _Page(HTMLParser):
    """The ids of one page, and every (tag, attribute, url) it links to or loads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key):
                self.ids.add(str(values[key]))
        for attribute in ("href", "src"):
            url = values.get(attribute)
            if url is not None and (tag == "a" or LOADED.get(tag) == attribute):
                self.urls.append((tag, url))


def _parse(path: Path, cache: dict[Path, _Page]) -> _Page:
    if path not in cache:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def problems(site: Path) -> list[str]:
    """Every broken internal link, missing anchor and network resource in the site, one line each."""
    site = Path(site).resolve()
    if not (site / "index.html").is_file():
        return [f"{site}: no index.html (build the site first: make docs)"]
    cache: dict[Path, _Page] = {}
    found = []
    for page_path in sorted(site.rglob("*.html")):
        where = page_path.relative_to(site)
        for tag, url in _parse(page_path, cache).urls:
            parts = urlsplit(url)
            if parts.scheme in SKIPPED_SCHEMES:
                continue
            if parts.scheme or parts.netloc:
                if tag != "a":
                    found.append(f"{where}: <{tag}> loads {url} from the network")
                continue
            target = (page_path.parent / unquote(parts.path)).resolve() if parts.path else page_path
            if target.is_dir():
                target = target / "index.html"
            if site not in target.parents and target != site:
                found.append(f"{where}: {url} points outside the site")
            elif not target.exists():
                found.append(f"{where}: {url} — no such file")
            elif parts.fragment and target.suffix == ".html" and \
                    unquote(parts.fragment) not in _parse(target, cache).ids:
                found.append(f"{where}: {url} — no #{unquote(parts.fragment)} in {target.relative_to(site)}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tools/check_site.py SITE_FOLDER", file=sys.stderr)
        return 2
    found = problems(Path(argv[0]))
    for line in found:
        print(line)
    pages = len(list(Path(argv[0]).rglob("*.html")))
    print(f"{pages} pages checked: {len(found)} problem(s)" if found else f"{pages} pages checked: every link resolves")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
