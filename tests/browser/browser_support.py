"""Helpers for the real-browser tests: the toc's pages, their sources, and opening a page
in Chromium with every request that leaves 127.0.0.1 blocked and recorded."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tools.sources import toc_pages  # noqa: F401  (the one reader of _toc.yml)

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
# The math is typeset when the book is built (KaTeX): a page waits for nothing but its
# files.
TIMEOUT_MS = 30_000
# The theme's colour modes: pydata-sphinx-theme styles by <html data-theme="...">.
COLOR_MODES = ("light", "dark")

# Raw TeX that KaTeX should have typeset: a $$ or an inline $...$ pair, \( \[ delimiters,
# or a control word (\frac, \sum, ...). Code and typeset math are not searched.
RAW_TEX = re.compile(r"\$\$|\$[^$\s][^$\n]{0,120}?\$|\\[(\[]|\\[A-Za-z]{2,}")


def source_file(src: Path, page: str) -> Path:
    """The source (``.ipynb`` or ``.md``) of a toc page."""
    for suffix in (".ipynb", ".md"):
        if (src / f"{page}{suffix}").is_file():
            return src / f"{page}{suffix}"
    raise FileNotFoundError(f"no .ipynb or .md source for toc entry {page!r} in {src}")


def notebook_json(src: Path, page: str) -> dict:
    return json.loads(source_file(src, page).read_text(encoding="utf-8"))


def markdown_of(src: Path, page: str) -> str:
    """The page's Markdown: a notebook's markdown cells, or the whole ``.md`` file."""
    path = source_file(src, page)
    if path.suffix == ".ipynb":
        return "\n".join("".join(c["source"]) for c in notebook_json(src, page)["cells"]
                         if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


def math_in_source(src: Path, page: str) -> bool:
    """Whether the page's Markdown has math ($, $$, or an amsmath environment)."""
    text = re.sub(r"```.*?```|`[^`\n]*`", "", markdown_of(src, page), flags=re.S)  # not math
    return bool(re.search(r"\$[^$\s]|\\begin\{", text))


def page_title(src: Path, page: str) -> str:
    """The page's title: its first ``# `` heading (Markdown, or a notebook's first
    markdown cell), without Markdown markup."""
    text = re.sub(r"```.*?```", "", markdown_of(src, page), flags=re.S)
    match = re.search(r"^# (.+)$", text, re.M)
    if match is None:
        raise ValueError(f"{source_file(src, page)} has no '# ' title")
    return re.sub(r"[`*_]", "", match.group(1)).strip()


def set_color_mode(page, mode: str) -> None:
    """Switch the open page to the theme's ``light`` or ``dark`` mode, as its colour-mode
    button does (``<html data-theme data-mode>``), and wait until the new colours are
    drawn (CSS transitions finished)."""
    page.evaluate("""async (mode) => {
      document.documentElement.dataset.mode = mode;
      document.documentElement.dataset.theme = mode;
      await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
      await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
    }""", mode)


@dataclass
class Visit:
    """A page open in the browser, with everything that went wrong while loading it."""

    page: object  # playwright.sync_api.Page
    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)


def open_page(browser, base_url: str, path: str, javascript: bool = True,
              viewport: dict | None = None) -> Visit:
    """Open ``base_url + path`` in a fresh context (with or without JavaScript), block
    and record every request that is not for 127.0.0.1 or a local file, and wait until
    the page has loaded and its fonts are ready."""
    context = browser.new_context(viewport=viewport or VIEWPORT, service_workers="block",
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    visit = Visit(page=page, url=base_url + path)

    def route(route_) -> None:
        url = route_.request.url
        if _is_local(url):
            route_.continue_()
        else:
            visit.outside_requests.append(url)
            route_.abort("blockedbyclient")

    def on_console(msg) -> None:
        if msg.type == "error":
            where = msg.location or {}
            visit.console_errors.append(
                f"{msg.text} ({where.get('url', '')}:{where.get('lineNumber', '')})")

    def on_failed(request) -> None:
        if _is_local(request.url):
            visit.failed_requests.append(f"{request.url}: {request.failure}")

    def on_response(response) -> None:
        if response.status >= 400:
            visit.bad_responses.append(f"{response.status} {response.url}")

    context.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: visit.page_errors.append(str(exc)))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)

    page.goto(visit.url, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.evaluate("async () => { await document.fonts.ready; }")
    return visit


def _is_local(url: str) -> bool:
    """The book served on 127.0.0.1, or opened from disk (file://)."""
    parts = urlsplit(url)
    return parts.hostname == "127.0.0.1" or parts.scheme == "file"

