"""The whole book as one PDF: ``_build/pdf/book.pdf`` (``make pdf``), with no network.

Each page of the table of contents, in toc order, is opened from the built HTML
(``_build/html``, as files: no server) in Debian's Chromium driven by Playwright, the
same browser the browser test uses. Every request that would leave the disk is blocked,
and any such request stops the tool. Once the fonts and figures have loaded and the
collapsed hints and solutions are opened (what sphinx-togglebutton does when a reader
prints a page), the page (its math typeset when the book was built) is printed with the
book's print CSS (``book/style/smgrad.css``: no navigation, code wrapped).

The PDF reads like a book:

* a title page (title, authors, version, date, licenses) and a contents list of every
  chapter with its page number, linked;
* the chapters, numbered as in the HTML (``_toc.yml``'s ``numbered``);
* an appendix, "Hints and solutions", by chapter: each exercise's hints and solution are
  taken out of its chapter (where a line points to the appendix, linked) and printed
  there, so a reader does not see an answer beside its question;
* one page-number sequence through the whole book, in a footer (9 pt) with the book's
  and the chapter's titles.

pypdf merges the pages, with one bookmark per chapter (and one per chapter of the
appendix), and turns the links between pages into links inside the PDF; links to local
files that are not in it are dropped, so no path of the machine that made it is left in
the PDF. The PDF is also copied to ``_build/html/book.pdf``, where every page's download
menu links to it (the published site has it at the same place).

    python -m tools.make_pdf [--html _build/html] [--out _build/pdf/book.pdf]
"""

from __future__ import annotations

import argparse
import datetime
import html as html_lib
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from tools.sources import ROOT, read_config, toc_pages

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 60_000
# A4 less the side margins below, in CSS pixels (96 per inch): the page is laid out, and
# its equations measured, at the width it is printed at. The footer (page numbers) is
# drawn in the bottom margin afterwards, on every page but the title page.
PAPER, MARGINS = "A4", {"top": "15mm", "bottom": "18mm", "left": "12mm", "right": "12mm"}
PRINT_WIDTH_PX = round((210 - 12 - 12) / 25.4 * 96)
APPENDIX = "Hints and solutions"
# A link of the contents page to page N of the PDF (made a link inside the PDF by merge).
PAGE_LINK = "https://pdf.invalid/page/"

# After the load event: fonts and images loaded, toggles opened (the math is typeset
# already, by KaTeX when the book was built). Returns what is wrong with the page (empty
# when it is ready to print).
READY_JS = """async () => {
  const problems = [];
  const untypeset = [...document.querySelectorAll('.math')]
    .filter(m => !m.querySelector('.katex')).length;
  if (untypeset) problems.push(`${untypeset} equations not typeset (build the book again)`);
  // What sphinx-togglebutton does before printing: open hints, solutions, details.
  window.dispatchEvent(new Event('beforeprint'));
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  for (const img of document.images) img.loading = 'eager';
  await Promise.all([...document.images].map(img => img.complete ? null :
    new Promise(resolve => { img.onload = img.onerror = resolve; })));
  const broken = [...document.images].filter(img => img.naturalWidth === 0)
    .map(img => img.getAttribute('src'));
  if (broken.length) problems.push(`images that did not load: ${broken.join(', ')}`);
  await document.fonts.ready;
  await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
  // A display equation wider than the paper is set smaller rather than cut off (the
  // browser test reports the ones wider than a 1280 px window, for their chapter).
  for (const eq of document.querySelectorAll('.katex-display > .katex')) {
    const html = eq.querySelector('.katex-html');
    const wide = html.scrollWidth, room = html.clientWidth;
    if (room > 0 && wide > room) eq.style.fontSize = `${Math.floor(100 * room / wide)}%`;
  }
  return problems;
}"""



# Moves each exercise's hints and solution out of the chapter (returned as HTML, for the
# appendix) and leaves, after the exercise, a line that points to them.
EXTRACT_ANSWERS_JS = """(appendixHref) => {
  const article = document.querySelector('article.bd-article') || document.body;
  const found = [];
  let exercise = null, entry = null;
  for (const el of article.querySelectorAll('.exercise, .admonition.hint, .solution')) {
    if (el.classList.contains('exercise')) { exercise = el; entry = null; continue; }
    if (!exercise || el.closest('.exercise, .solution') !== null && el.closest('.solution') !== el) continue;
    if (!entry) {
      const title = exercise.querySelector('.admonition-title');
      entry = {title: (title ? title.textContent : 'Exercise').trim(), html: []};
      found.push(entry);
      const pointer = document.createElement('p');
      pointer.className = 'pdf-answer-pointer';
      const link = document.createElement('a');
      link.href = appendixHref;
      link.textContent = `${APPENDIX_TITLE}, ${entry.title}`;
      pointer.append('Hints and solution: in the appendix at the end of the book, ', link, '.');
      exercise.after(pointer);
    }
    entry.html.push(el.outerHTML);
    el.remove();
  }
  return found;
}""".replace("APPENDIX_TITLE", repr(APPENDIX))

# Replaces the article by the hints and solutions of one chapter, opened.
APPENDIX_JS = """([title, entries]) => {
  const article = document.querySelector('article.bd-article') || document.body;
  const parts = [`<section class="pdf-appendix"><h1>${title}</h1>`];
  for (const entry of entries) {
    parts.push(`<section><h2>${entry.title}</h2>${entry.html.join('')}</section>`);
  }
  article.innerHTML = parts.join('') + '</section>';
  for (const el of article.querySelectorAll('.dropdown, .toggle-hidden, .toggle')) {
    el.classList.remove('dropdown', 'toggle-hidden', 'toggle');
  }
  article.querySelectorAll('button.toggle-button').forEach(b => b.remove());
  document.title = title;
}"""


@dataclass
class Printed:
    """A part of the PDF: a toc page, or one chapter of the appendix."""

    name: str
    title: str
    path: Path
    pages: int = 0
    answers: list = field(default_factory=list)  # [{title, html: [...]}], chapters only


def _is_local(url: str) -> bool:
    return urlsplit(url).scheme in {"file", "data", "blob", "about"}




def _is_local(url: str) -> bool:
    return urlsplit(url).scheme in {"file", "data", "blob", "about"}


def _escape(text: str) -> str:
    return html_lib.escape(text, quote=False)


class Printer:
    """Prints pages of the built book, each in a fresh browser context, off the network."""

    def __init__(self, browser, html: Path, out_dir: Path) -> None:
        self.browser, self.html, self.out_dir = browser, html, out_dir

    def open(self, name: str):
        path = self.html / f"{name}.html"
        if not path.is_file():
            raise SystemExit(f"{path} is missing: build the book first (make book)")
        context = self.browser.new_context(viewport={"width": PRINT_WIDTH_PX, "height": 1000},
                                           color_scheme="light", service_workers="block")
        outside: list[str] = []

        def route(route_) -> None:
            if _is_local(route_.request.url):
                route_.continue_()
            else:
                outside.append(route_.request.url)
                route_.abort("blockedbyclient")

        context.route("**/*", route)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(path.as_uri(), wait_until="load")
        page.emulate_media(media="print")
        problems = page.evaluate(READY_JS)
        if outside:
            problems.append(f"requests off the disk (blocked): {outside}")
        if problems:
            raise SystemExit(f"{name}: " + "; ".join(problems))
        return page

    def print(self, page, target: Path) -> int:
        """Print the open page to ``target``; returns its number of pages."""
        from pypdf import PdfReader

        page.pdf(path=str(target), format=PAPER, print_background=True, margin=MARGINS)
        page.context.close()
        return len(PdfReader(target).pages)


def _title_of(page) -> str:
    title = page.evaluate(
        "() => (document.querySelector('article.bd-article h1') || {}).innerText"
        " || document.title")
    return " ".join(title.replace("#", "").split())


def print_book(html: Path, pages: list[str], out_dir: Path, chromium: str,
               log=print) -> tuple[list[Printed], list[Printed]]:
    """Print each toc page (its hints and solutions taken out), then the appendix: one
    part per chapter with exercises. Returns (chapters, appendix)."""
    from playwright.sync_api import sync_playwright

    chapters, appendix = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                             headless=True)
        printer = Printer(browser, html, out_dir)
        try:
            for number, name in enumerate(pages):
                page = printer.open(name)
                title = _title_of(page)
                href = (html / "appendix" / f"{name}.html").as_uri()
                answers = page.evaluate(EXTRACT_ANSWERS_JS, href)
                part = Printed(name, title, out_dir / f"{number:03d}.pdf", answers=answers)
                part.pages = printer.print(page, part.path)
                chapters.append(part)
                log(f"  printed {name}.html ({title}): {part.pages} pages")
            for number, chapter in enumerate(c for c in chapters if c.answers):
                page = printer.open(chapter.name)
                title = f"{APPENDIX}: {chapter.title}"
                page.evaluate(APPENDIX_JS, [title, chapter.answers])
                problems = page.evaluate(READY_JS)
                if problems:
                    raise SystemExit(f"appendix of {chapter.name}: " + "; ".join(problems))
                part = Printed(f"appendix/{chapter.name}", title,
                               out_dir / f"appendix-{number:03d}.pdf")
                part.pages = printer.print(page, part.path)
                appendix.append(part)
                log(f"  printed the hints and solutions of {chapter.name}: {part.pages} pages")
        finally:
            browser.close()
    return chapters, appendix


def book_facts(src: Path) -> dict[str, str]:
    """Title, authors, version, date and licenses for the title page: from _config.yml,
    CITATION.cff and pyproject.toml. The date is the build's (``SOURCE_DATE_EPOCH``
    when set, for a reproducible PDF)."""
    config = read_config(src / "_config.yml")
    citation = yaml.safe_load((src / "CITATION.cff").read_text(encoding="utf-8"))
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    day = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date()
           if epoch else datetime.date.today())
    authors = ", ".join(a.get("name") or " ".join(filter(None, [a.get("given-names"),
                                                               a.get("family-names")]))
                        for a in citation.get("authors", [])) or str(config.get("author", ""))
    return {"title": str(config.get("title", "")), "authors": authors,
            "version": str(citation.get("version", "")), "date": day.isoformat(),
            "url": str(citation.get("url", "")),
            "repository": str(config.get("repository", {}).get("url", ""))}


FRONT_CSS = """
  @page { size: A4; margin: 25mm 22mm; }
  body { font-family: "DejaVu Sans", sans-serif; color: #222; font-size: 11pt; margin: 0; }
  .title-page { height: 245mm; display: flex; flex-direction: column; break-after: page; }
  .title-page h1 { font-size: 30pt; margin: 55mm 0 6mm; line-height: 1.15; }
  .title-page .sub { font-size: 13pt; color: #444; margin: 0 0 18mm; }
  .title-page .facts { font-size: 12pt; line-height: 1.7; }
  .title-page .licenses { margin-top: auto; font-size: 9.5pt; color: #333; line-height: 1.5; }
  .contents h1 { font-size: 20pt; margin: 0 0 8mm; }
  .contents ol { list-style: none; padding: 0; margin: 0; }
  .contents li { display: flex; align-items: baseline; margin: 0 0 3mm; }
  .contents li.sub { margin-left: 8mm; font-size: 10pt; }
  .contents li.part { font-weight: bold; margin-top: 5mm; }
  .contents a { color: #222; text-decoration: none; }
  .contents .dots { flex: 1; border-bottom: 1px dotted #999; margin: 0 2mm; }
"""


def front_matter(facts: dict[str, str], entries: list[tuple[str, str, int | None]]) -> str:
    """The title page and the contents: ``entries`` are (kind, title, page number)."""
    rows = []
    for kind, title, number in entries:
        if number is None:
            rows.append(f'<li class="{kind}">{_escape(title)}</li>')
        else:
            rows.append(f'<li class="{kind}"><a href="{PAGE_LINK}{number}">{_escape(title)}'
                        f'</a><span class="dots"></span><a href="{PAGE_LINK}{number}">'
                        f'{number}</a></li>')
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{_escape(facts['title'])}</title><style>{FRONT_CSS}</style></head><body>
<section class="title-page">
  <h1>{_escape(facts['title'])}</h1>
  <p class="sub">An executable course on the gradient of softmax, with the numpy package
  <code>smgrad</code></p>
  <div class="facts">
    <div>{_escape(facts['authors'])}</div>
    <div>Version {_escape(facts['version'])}, {_escape(facts['date'])}</div>
    <div>{_escape(facts['url'])}</div>
  </div>
  <div class="licenses">
    <p>The text and figures of this book are licensed under the Creative Commons
    Attribution-ShareAlike 4.0 International License (CC BY-SA 4.0); its code, the
    <code>smgrad</code> package and the code cells, under the MIT License. The forum
    threads it starts from are credited in the chapter "Attribution and licenses".</p>
    <p>Source: {_escape(facts['repository'])}</p>
  </div>
</section>
<section class="contents"><h1>Contents</h1><ol>{''.join(rows)}</ol></section>
</body></html>"""


FOOTER_CSS = """
  @page { size: A4; margin: 0; }
  body { margin: 0; font-family: "DejaVu Sans", sans-serif; }
  .sheet { height: 297mm; position: relative; break-after: page; overflow: hidden; }
  .foot { position: absolute; left: 12mm; right: 12mm; bottom: 7mm; display: flex;
          justify-content: space-between; font-size: 9pt; color: #444;
          border-top: 0.5pt solid #bbb; padding-top: 1.5mm; }
"""


def footers(book_title: str, running: list[str]) -> str:
    """One A4 sheet per page of the book, blank but for its footer: the book's title and
    the part's, and the page number (none on the title page)."""
    sheets = []
    for index, title in enumerate(running):
        foot = "" if index == 0 else (
            f'<div class="foot"><span>{_escape(book_title)} · {_escape(title)}</span>'
            f'<span>{index + 1}</span></div>')
        sheets.append(f'<div class="sheet">{foot}</div>')
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><style>{FOOTER_CSS}'
            f'</style></head><body>{"".join(sheets)}</body></html>')


def print_html(chromium: str, document: str, target: Path) -> int:
    """Print an HTML document (no external resources) to ``target``; returns its pages."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            page = browser.new_page()
            page.set_content(document, wait_until="load")
            page.pdf(path=str(target), prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()
    return len(PdfReader(target).pages)


def contents_entries(chapters: list[Printed], appendix: list[Printed],
                     first: int) -> list[tuple[str, str, int | None]]:
    """The contents list: each part's title and first page number (1-based)."""
    entries, number = [], first
    for part in chapters:
        entries.append(("chapter", part.title, number))
        number += part.pages
    if appendix:
        entries.append(("part", APPENDIX, number))
    for part in appendix:
        entries.append(("sub", part.title.removeprefix(f"{APPENDIX}: "), number))
        number += part.pages
    return entries


def merge(front: Path, parts: list[Printed], appendix_count: int, html: Path,
          overlay: Path, out: Path, metadata: dict[str, str]) -> int:
    """Merge the front matter and the printed parts into ``out``, with a bookmark per
    part (the appendix's under one), stamp each page's footer from ``overlay``, and turn
    links between parts, and the contents' links, into links inside the PDF; other
    local links are dropped. Returns the page count."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NullObject

    writer = PdfWriter()
    writer.append(PdfReader(front))
    starts: dict[str, int] = {}
    appendix_parent = None
    for index, part in enumerate(parts):
        starts[part.name] = len(writer.pages)
        writer.append(PdfReader(part.path))
        if index == len(parts) - appendix_count:
            appendix_parent = writer.add_outline_item(title=APPENDIX, page_number=starts[part.name])
        parent = appendix_parent if index >= len(parts) - appendix_count else None
        title = part.title.removeprefix(f"{APPENDIX}: ") if parent is not None else part.title
        writer.add_outline_item(title=title, page_number=starts[part.name], parent=parent)
    html_root = html.resolve()

    def target_of(uri: str) -> int | None:
        if uri.startswith(PAGE_LINK):
            return int(uri.removeprefix(PAGE_LINK)) - 1
        parts_ = urlsplit(uri)
        try:
            rel = Path(unquote(parts_.path)).resolve().relative_to(html_root)
        except ValueError:
            return None
        name = rel.as_posix()
        return starts.get(name[:-len(".html")]) if name.endswith(".html") else None

    stamps = PdfReader(overlay)
    for number, page in enumerate(writer.pages):
        if number > 0:
            page.merge_page(stamps.pages[number])
        annots = page.get("/Annots")
        if annots is None:
            continue
        kept = ArrayObject()
        for ref in annots.get_object():
            annot = ref.get_object()
            action = annot.get("/A")
            uri = action.get_object().get("/URI") if action is not None else None
            local = uri is not None and (_is_local(str(uri)) or str(uri).startswith(PAGE_LINK))
            if not local:
                kept.append(ref)
                continue
            target = target_of(str(uri))
            if target is not None:  # a page of the book: a link inside the PDF
                del annot[NameObject("/A")]
                annot[NameObject("/Dest")] = ArrayObject(
                    [writer.pages[target].indirect_reference, NameObject("/XYZ"),
                     NullObject(), NullObject(), NullObject()])
                kept.append(ref)
            # else: a link to a local file not in the PDF (a source download, the
            # index): dropped.
        page[NameObject("/Annots")] = kept
    writer.add_metadata({f"/{key}": value for key, value in metadata.items()})
    writer.compress_identical_objects()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:
        writer.write(handle)
    return len(writer.pages)


def make_book(src: Path, html: Path, out: Path, chromium: str, log=print) -> int:
    """Print, lay out and merge the whole book into ``out``. Returns the page count."""
    facts = book_facts(src)
    work = out.parent / "pages"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    chapters, appendix = print_book(html, toc_pages(src), work, chromium, log)
    front = work / "front.pdf"
    # The contents' length does not depend on its page numbers: print it once to count.
    front_pages = print_html(chromium, front_matter(facts, contents_entries(
        chapters, appendix, 1)), front)
    entries = contents_entries(chapters, appendix, front_pages + 1)
    if print_html(chromium, front_matter(facts, entries), front) != front_pages:
        raise SystemExit("the contents changed length when numbered")
    running = ["Contents"] * front_pages
    for part in chapters + appendix:
        running += [re.sub(r"^\d+(\.\d+)*\.\s*", "", part.title)] * part.pages
    overlay = work / "footers.pdf"
    print_html(chromium, footers(facts["title"], running), overlay)
    count = merge(front, chapters + appendix, len(appendix), html, overlay, out,
                  {"Title": facts["title"], "Author": facts["authors"]})
    shutil.rmtree(work)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=ROOT,
                        help="the book's sources (_config.yml, _toc.yml); default: the repository")
    parser.add_argument("--html", type=Path, default=None,
                        help="the built HTML book (default: SRC/_build/html)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the PDF to write (default: SRC/_build/pdf/book.pdf)")
    parser.add_argument("--no-copy", action="store_true",
                        help="do not copy the PDF to HTML/book.pdf")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    src = args.src.resolve()
    html = (args.html or src / "_build" / "html").resolve()
    out = (args.out or src / "_build" / "pdf" / "book.pdf").resolve()
    if not (html / "index.html").is_file():
        print(f"no built book in {html}: build it first (make book)", file=sys.stderr)
        return 2
    if not os.access(args.chromium, os.X_OK):
        print(f"{args.chromium} not found: apt-get install chromium, or set CHROMIUM",
              file=sys.stderr)
        return 2
    started = time.monotonic()
    print(f"Printing the book in {html} with {args.chromium}")
    count = make_book(src, html, out, args.chromium)
    if not args.no_copy:
        shutil.copyfile(out, html / "book.pdf")
    size = out.stat().st_size / 2**20
    print(f"{out}: {count} pages, {size:.1f} MiB, in {time.monotonic() - started:.0f} s"
          + ("" if args.no_copy else f" (and {html / 'book.pdf'})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
