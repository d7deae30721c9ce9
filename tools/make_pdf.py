"""The whole book as one PDF: ``_build/pdf/book.pdf`` (``make pdf``), with no network.

Each page of the table of contents, in toc order, is opened from the built HTML
(``_build/html``, as files: no server) in Debian's Chromium driven by Playwright, the
same browser the browser test uses. Every request that would leave the disk is blocked,
and any such request stops the tool. Once the fonts and figures have loaded and the collapsed hints and
solutions are opened (what sphinx-togglebutton does when a reader prints a page), the
page (its math typeset when the book was built) is printed with the book's print CSS (``book/style/smgrad.css``: no navigation,
code wrapped). pypdf merges the pages, with one bookmark per page, and turns the links
between pages into links inside the PDF; links to local files that are not in it are
dropped, so no path of the machine that made it is left in the PDF.

The PDF is also copied to ``_build/html/book.pdf``, where the intro links to it (the
published site has it at the same place).

    python -m tools.make_pdf [--html _build/html] [--out _build/pdf/book.pdf]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tools.sources import ROOT, read_config, toc_pages

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 60_000
# A4 less the side margins below, in CSS pixels (96 per inch): the page is laid out, and
# its equations measured, at the width it is printed at.
PAPER, MARGINS = "A4", {"top": "15mm", "bottom": "18mm", "left": "12mm", "right": "12mm"}
PRINT_WIDTH_PX = round((210 - 12 - 12) / 25.4 * 96)
FOOTER = ('<div style="font-size: 8px; width: 100%; margin: 0 15mm; color: #555;'
          ' display: flex; justify-content: space-between;">'
          '<span>{title}</span><span><span class="pageNumber"></span> / '
          '<span class="totalPages"></span></span></div>')

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


def _is_local(url: str) -> bool:
    return urlsplit(url).scheme in {"file", "data", "blob", "about"}


def print_pages(html: Path, pages: list[str], out_dir: Path, chromium: str,
                log=print) -> list[tuple[str, str, Path]]:
    """Print each page to ``out_dir/NNN.pdf``. Returns ``(page, title, pdf)`` per page."""
    from playwright.sync_api import sync_playwright

    printed = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            for number, name in enumerate(pages):
                path = html / f"{name}.html"
                if not path.is_file():
                    raise SystemExit(f"{path} is missing: build the book first (make book)")
                context = browser.new_context(viewport={"width": PRINT_WIDTH_PX, "height": 1000},
                                              color_scheme="light", service_workers="block")
                outside: list[str] = []

                def route(route_, outside=outside) -> None:
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
                title = page.evaluate(
                    "() => (document.querySelector('main h1') || {}).innerText || document.title")
                title = " ".join(title.replace("#", "").split())
                target = out_dir / f"{number:03d}.pdf"
                page.pdf(path=str(target), format=PAPER, print_background=True, margin=MARGINS,
                         display_header_footer=True, header_template="<span></span>",
                         footer_template=FOOTER.format(title=_escape(title)))
                context.close()
                printed.append((name, title, target))
                log(f"  printed {name}.html ({title})")
        finally:
            browser.close()
    return printed


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def merge(printed: list[tuple[str, str, Path]], html: Path, out: Path,
          metadata: dict[str, str]) -> int:
    """Merge the printed pages into ``out`` with a bookmark each; links between pages
    become links inside the PDF, other local links are dropped. Returns the page count."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NullObject

    writer = PdfWriter()
    starts: dict[str, int] = {}
    for name, title, path in printed:
        starts[name] = len(writer.pages)
        writer.append(PdfReader(path), outline_item=title)
    html_root = html.resolve()

    def chapter_of(uri: str) -> str | None:
        parts = urlsplit(uri)
        try:
            rel = Path(unquote(parts.path)).resolve().relative_to(html_root)
        except ValueError:
            return None
        name = rel.as_posix()
        return name[:-len(".html")] if name.endswith(".html") else None

    for page in writer.pages:
        annots = page.get("/Annots")
        if annots is None:
            continue
        kept = ArrayObject()
        for ref in annots.get_object():
            annot = ref.get_object()
            action = annot.get("/A")
            uri = action.get_object().get("/URI") if action is not None else None
            if uri is None or not _is_local(str(uri)):
                kept.append(ref)
                continue
            chapter = chapter_of(str(uri))
            if chapter in starts:  # a link to another page of the book: go to its start
                target = writer.pages[starts[chapter]].indirect_reference
                del annot[NameObject("/A")]
                annot[NameObject("/Dest")] = ArrayObject(
                    [target, NameObject("/XYZ"), NullObject(), NullObject(), NullObject()])
                kept.append(ref)
            # else: a link to a local file not in the PDF (the PDF itself, a source
            # download, the index): dropped.
        page[NameObject("/Annots")] = kept
    writer.add_metadata({f"/{key}": value for key, value in metadata.items()})
    writer.compress_identical_objects()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:
        writer.write(handle)
    return len(writer.pages)


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
    config = read_config(src / "_config.yml")
    pages = toc_pages(src)
    started = time.monotonic()
    print(f"Printing {len(pages)} pages of {html} with {args.chromium}")
    work = out.parent / "pages"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    printed = print_pages(html, pages, work, args.chromium)
    count = merge(printed, html, out, {"Title": str(config.get("title", "")),
                                       "Author": str(config.get("author", ""))})
    shutil.rmtree(work)
    if not args.no_copy:
        shutil.copyfile(out, html / "book.pdf")
    size = out.stat().st_size / 2**20
    print(f"{out}: {count} pages, {size:.1f} MiB, in {time.monotonic() - started:.0f} s"
          + ("" if args.no_copy else f" (and {html / 'book.pdf'})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
