"""Every page of the toc, opened in headless Chromium from the built HTML.

For each page: no console error, no failed request, no request that leaves 127.0.0.1,
every image loaded, every equation typeset when the book was built (KaTeX's HTML, and its
MathML for screen readers, in the page before any script runs; no math script; no raw TeX
left in the text),
every code cell and output of the notebook visible, hidden solutions hidden until clicked.
Chapter pages also have working launch and download buttons, and the search page finds
each page by a word of its text. Screenshots go to ``_build/screenshots/``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from browser_support import RAW_TEX, math_in_source, notebook_json, open_page, toc_pages

from smgrad.mxnet_cells import shown_source

# Text nodes of the visible prose (not code, not typeset math), as [text, ...].
# (No filter callback: the walk also runs in a page with JavaScript off.)
VISIBLE_PROSE_JS = """() => {
  const root = document.querySelector('main') || document.body;
  const skip = 'pre, code, script, style, textarea, .katex, .highlight';
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip) || !node.textContent.trim()) continue;
    if (el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}))
      texts.push(node.textContent);
  }
  return texts;
}"""

# Each .math element (inline or display) holds KaTeX's HTML (.katex-html) and its MathML
# (<math> with the TeX as an annotation), which screen readers read; the KaTeX fonts
# the page uses have loaded.
MATH_JS = """() => {
  const maths = [...document.querySelectorAll('.math')];
  const tex = m => (m.querySelector('annotation[encoding="application/x-tex"]')
                    || m).textContent.trim().slice(0, 100);
  return {
    maths: maths.length,
    untypeset: maths.filter(m => !m.querySelector('.katex .katex-html')).map(tex),
    noMathML: maths.filter(m => !m.querySelector('.katex-mathml math semantics')).map(tex),
    broken: [...document.querySelectorAll('.katex-error, .math [style*="color:#cc0000"]')]
      .map(e => (e.getAttribute('title') || e.textContent).slice(0, 100)),
    mathScripts: [...document.scripts].map(s => s.src).filter(src => /mathjax|katex/i.test(src)),
    fonts: [...document.fonts].filter(f => f.family.startsWith('KaTeX'))
      .map(f => [f.family, f.status]),
  };
}"""

CELLS_JS = """() => {
  const visible = el => !!el && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
                        && el.getBoundingClientRect().height > 0;
  return [...document.querySelectorAll('div.cell')].map(cell => {
    const input = cell.querySelector(':scope > .cell_input');
    const output = cell.querySelector(':scope > .cell_output');
    return {
      classes: cell.className,
      inSolution: !!cell.closest('.solution'),
      input: input ? (input.querySelector('pre') || input).textContent : null,
      inputVisible: visible(input),
      outputVisible: visible(output),
      outputHasContent: !!output && (output.innerText.trim().length > 0
                                     || output.querySelector('img, svg, table') !== null),
    };
  });
}"""

IMAGES_JS = """() => [...document.images].map(img => ({
  src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth}))"""

SOLUTIONS_JS = """() => [...document.querySelectorAll('.solution')].map(sol => {
  const visible = el => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
                        && el.getBoundingClientRect().height > 0;
  const body = [...sol.children].filter(el => !el.classList.contains('admonition-title'));
  return {id: sol.id, parts: body.length, shown: body.filter(visible).length,
          title: visible(sol.querySelector('.admonition-title'))};
})"""


def _tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _renders_output(output: dict) -> bool:
    """Whether myst-nb shows this stored output (a ``glue(..., display=False)`` is not)."""
    if output["output_type"] in {"stream", "error"}:
        return True
    return any(not mime.startswith("application/papermill.record/")
               for mime in output.get("data", {}))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _raw_tex(texts: list[str]) -> list[str]:
    return [t.strip()[:120] for t in texts if RAW_TEX.search(t)]


def test_page_loads_without_errors_or_network(visits, toc_page):
    visit = visits(toc_page)
    assert visit.outside_requests == [], "requests that leave 127.0.0.1 (blocked)"
    assert visit.failed_requests == []
    assert visit.bad_responses == []
    assert visit.page_errors == [], "uncaught JavaScript exceptions"
    assert visit.console_errors == []


def test_every_image_loads(visits, toc_page):
    images = visits(toc_page).page.evaluate(IMAGES_JS)
    broken = [img["src"] for img in images if not (img["complete"] and img["width"] > 0)]
    assert broken == []


def _check_math(math: dict, has_math: bool) -> None:
    if has_math:
        assert math["maths"] > 0, "the source has math, the page has no .math element"
        loaded = {family for family, status in math["fonts"] if status == "loaded"}
        assert "KaTeX_Main" in loaded, f"KaTeX's fonts did not load: {math['fonts']}"
    assert math["untypeset"] == [], "equations not typeset when the book was built"
    assert math["noMathML"] == [], "equations without MathML for screen readers"
    assert math["broken"] == [], "TeX that KaTeX could not render"
    assert math["mathScripts"] == [], "the math is typeset already: no math script"


def test_math_is_typeset_when_the_book_is_built(visits, toc_page, book_src):
    visit = visits(toc_page)
    _check_math(visit.page.evaluate(MATH_JS), math_in_source(book_src, toc_page))
    assert _raw_tex(visit.page.evaluate(VISIBLE_PROSE_JS)) == [], "raw TeX in the text"


def test_math_shows_from_disk_with_no_script(browser, html_dir, toc_page, book_src):
    """The built book opened as files (file://, no server, no network), with JavaScript
    off: the math is in the HTML, typeset, with its fonts."""
    visit = open_page(browser, html_dir.as_uri() + "/", f"{toc_page}.html", javascript=False)
    try:
        assert visit.outside_requests == [], "requests that leave the disk (blocked)"
        # With JavaScript off, Chromium refuses the scripts (as "csp"), nothing else.
        assert [r for r in visit.failed_requests if not r.endswith(": csp")] == []
        _check_math(visit.page.evaluate(MATH_JS), math_in_source(book_src, toc_page))
        assert _raw_tex(visit.page.evaluate(VISIBLE_PROSE_JS)) == [], "raw TeX in the text"
    finally:
        visit.page.context.close()


def test_code_cells_and_outputs_are_visible(visits, notebook_page, book_src):
    source_cells = [c for c in notebook_json(book_src, notebook_page)["cells"]
                    if c["cell_type"] == "code" and "remove-cell" not in _tags(c)]
    shown = visits(notebook_page).page.evaluate(CELLS_JS)
    assert len(shown) == len(source_cells), "code cells in the page vs the notebook"
    problems = []
    for number, (cell, html) in enumerate(zip(source_cells, shown), start=1):
        tags = _tags(cell)
        where = f"code cell {number} ({_squash(''.join(cell['source']))[:50]!r})"
        if not tags & {"remove-input", "hide-input", "hide-cell"}:
            # The pages show an MXNet cell without its %%mxnet line (smgrad.mxnet_cells).
            if _squash(html["input"] or "") != _squash(shown_source("".join(cell["source"]))):
                problems.append(f"{where}: the page shows other code: {html['input']!r:.80}")
            elif not html["inSolution"] and not html["inputVisible"]:
                problems.append(f"{where}: code not visible")
        outputs = [o for o in cell.get("outputs", []) if _renders_output(o)]
        if outputs and not tags & {"remove-output", "hide-output", "hide-cell"}:
            if not html["outputHasContent"]:
                problems.append(f"{where}: stored output missing from the page")
            elif not html["inSolution"] and not html["outputVisible"]:
                problems.append(f"{where}: output not visible")
    assert problems == []


def test_solutions_hidden_until_clicked(browser, base_url, notebook_page, book_src):
    visit = open_page(browser, base_url, f"{notebook_page}.html")
    page = visit.page
    try:
        before = page.evaluate(SOLUTIONS_JS)
        has_solutions = any("{solution-start}" in "".join(c["source"]) or "{solution}" in
                            "".join(c["source"])
                            for c in notebook_json(book_src, notebook_page)["cells"]
                            if c["cell_type"] == "markdown")
        if not has_solutions:
            assert before == []
            return
        assert before, "the notebook has solutions, the page has no .solution"
        for sol in before:
            assert sol["title"], f"solution {sol['id']}: its title (the toggle) is not visible"
            assert sol["parts"] > 0 and sol["shown"] == 0, f"solution {sol['id']} not hidden"
        titles = page.locator(".solution > .admonition-title")
        for index in range(titles.count()):
            titles.nth(index).click()
        try:  # the solutions fade in (a CSS transition of 0.3 s)
            page.wait_for_function(f"() => ({SOLUTIONS_JS})().every(s => s.shown === s.parts)",
                                   timeout=5_000)
        except Exception:  # the assertion below says which solution stayed hidden
            pass
        after = page.evaluate(SOLUTIONS_JS)
        assert [(s["id"], s["shown"]) for s in after] == [(s["id"], s["parts"]) for s in after]
        # Opened, their math is typeset and their code cells visible too.
        assert _raw_tex(page.evaluate(VISIBLE_PROSE_JS)) == []
        hidden_cells = [c["input"][:60] for c in page.evaluate(CELLS_JS)
                        if c["inSolution"] and c["input"] is not None and not c["inputVisible"]]
        assert hidden_cells == []
        assert visit.console_errors == [] and visit.page_errors == []
    finally:
        page.context.close()


def test_launch_and_download_buttons(visits, notebook_page, book_config, base_url):
    repo = book_config["repository"]["url"].rstrip("/")
    branch = book_config["repository"]["branch"]
    owner_name = repo.removeprefix("https://github.com/")
    page = visits(notebook_page).page
    links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    notebook = f"{notebook_page}.ipynb"
    assert f"https://mybinder.org/v2/gh/{owner_name}/{branch}?urlpath=lab/tree/{notebook}" in links
    assert f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/{notebook}" \
        in links
    assert repo in links
    assert any(link.startswith(f"{repo}/issues/new") for link in links)
    download = f"{base_url}_sources/{notebook}"
    assert download in links
    response = page.request.get(download)
    assert response.ok
    assert response.json()["nbformat"] == 4


def _search_word(page) -> str:
    """The longest word of the page's first paragraph (not code), for the search test."""
    text = page.evaluate("""() => {
      const p = [...document.querySelectorAll('main article p')]
        .find(p => p.innerText.trim().split(/\\s+/).length >= 8);
      if (!p) return '';
      const copy = p.cloneNode(true);
      copy.querySelectorAll('code, .math, .katex').forEach(el => el.remove());
      return copy.textContent;
    }""")
    words = sorted(set(re.findall(r"\b[A-Za-z]{6,}\b", text)), key=lambda w: (-len(w), w))
    return words[0] if words else ""


def test_search_finds_the_page(visits, browser, base_url, toc_page):
    word = _search_word(visits(toc_page).page)
    if not word:
        pytest.skip(f"{toc_page} has no paragraph of eight words or more to search for")
    visit = open_page(browser, base_url, f"search.html?q={quote(word)}")
    page = visit.page
    try:
        page.wait_for_function(
            "() => document.querySelector('#search-results p.search-summary')"
            " && !document.querySelector('#search-results p.search-summary').textContent"
            ".includes('Preparing')")
        hits = page.evaluate("() => [...document.querySelectorAll('#search-results li a')]"
                             ".map(a => a.getAttribute('href'))")
        assert any(h.split("?")[0].split("#")[0] == f"{toc_page}.html" for h in hits), \
            f"searching {word!r} found {hits}"
        assert visit.console_errors == [] and visit.outside_requests == []
    finally:
        page.context.close()


class _NetworkRefs(HTMLParser):
    """``src``/``href`` of what a browser would load (not plain links) that use a network URL."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        url = None
        if tag in {"script", "img", "iframe", "audio", "video", "source", "embed"}:
            url = a.get("src")
        elif tag == "link" and set((a.get("rel") or "").split()) & {
                "stylesheet", "preload", "modulepreload", "icon", "prefetch", "manifest"}:
            url = a.get("href")
        elif tag == "object":
            url = a.get("data")
        if url and re.match(r"(https?:)?//", url.strip()):
            self.found.append(f"<{tag}> {url}")


def test_no_page_loads_anything_from_the_network(html_dir: Path, book_src: Path):
    """Static check of every built file: no script, style, image or font from a URL."""
    pages = {f"{p}.html" for p in toc_pages(book_src)}
    built = {str(p.relative_to(html_dir)) for p in html_dir.rglob("*.html")}
    assert pages <= built, "toc pages missing from the build"
    found = []
    for path in sorted(html_dir.rglob("*.html")):
        parser = _NetworkRefs()
        parser.feed(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(html_dir)}: {ref}" for ref in parser.found]
    for path in sorted(html_dir.rglob("*.css")):
        for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)", path.read_text(
                encoding="utf-8", errors="replace")):
            found.append(f"{path.relative_to(html_dir)}: url({url})")
    assert found == []
    katex = html_dir / "_static" / "katex"
    assert (katex / "katex.min.css").is_file() and list(katex.glob("fonts/KaTeX_Main-*.woff2")), \
        "KaTeX's CSS and fonts are not in the build (make installs them into .katex/)"
