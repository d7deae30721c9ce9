"""The whole book as one PDF (``make pdf``: tools/make_pdf.py prints each page of the
toc in Chromium and merges them into ``_build/pdf/book.pdf``, copied to
``_build/html/book.pdf``, where the intro links to it).

The PDF has every page of the toc, in order, each under its title (a bookmark, and the
title in its text); its math is typeset (text in KaTeX's fonts, and no raw
TeX in the prose: code, in the monospace font, is not searched); it has every figure of
every chapter; and it has no link to the machine that made it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
from browser_support import (RAW_TEX, math_in_source, notebook_json, page_title,
                             source_file, toc_pages)

# Raw TeX control sequences in the prose, besides browser_support.RAW_TEX's.
RAW_TEX_WORDS = re.compile(r"\\begin\{|\\end\{|\\frac|\\mathbf|\\sum|\\partial")


def _normal(text: str) -> str:
    """For comparing titles with PDF text: ligatures (the PDF's "ﬂ") as letters, no
    whitespace, straight quotes, no soft hyphens."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00ad", "")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="session")
def pdf_path(html_dir: Path) -> Path:
    path = Path(os.environ.get("BOOK_PDF") or html_dir.parent / "pdf" / "book.pdf")
    if not path.is_file():
        pytest.fail(f"no PDF at {path}: run `make pdf` (`make test-browser` does it), or "
                    "point BOOK_PDF at one", pytrace=False)
    return path


@pytest.fixture(scope="session")
def pdf(pdf_path: Path, pytestconfig: pytest.Config):
    """The PDF read once: its outline ``[(title, first page index)]`` and, per page,
    the text in proportional fonts (prose), in monospace fonts (code), and how many
    characters are in KaTeX's fonts (typeset math)."""
    if not pytestconfig.getoption("--require-book"):  # plain pytest, no requirements-browser
        pytest.importorskip("pypdf", reason="pypdf is not installed here: run `make "
                            "test-browser` (it installs requirements-browser.txt into .venv)")
    from pypdf import PdfReader

    reader = PdfReader(pdf_path)
    outline = [(item.title, reader.get_destination_page_number(item))
               for item in reader.outline if not isinstance(item, list)]
    pages = []
    for page in reader.pages:
        found = {"prose": [], "code": [], "math": 0}

        def visit(text, cm, tm, font, size, found=found):
            if not text or font is None:
                return
            name = str(font.get("/BaseFont", ""))
            descriptor = font.get("/FontDescriptor")
            family = str(descriptor.get_object().get("/FontFamily", "")) if descriptor else ""
            if "KaTeX_" in name or family.startswith("KaTeX"):
                found["math"] += len(text.strip())
            elif "Mono" in name:
                found["code"].append(text)
            else:
                found["prose"].append(text)

        page.extract_text(visitor_text=visit)
        pages.append({"prose": "".join(found["prose"]), "code": "".join(found["code"]),
                      "math": found["math"]})
    return {"reader": reader, "outline": outline, "pages": pages}


def _page_ranges(pdf: dict, book_src: Path) -> dict[str, range]:
    """The PDF pages of each toc page, from the outline (one bookmark per toc page)."""
    starts = [start for _, start in pdf["outline"]] + [len(pdf["pages"])]
    return {page: range(starts[i], starts[i + 1])
            for i, page in enumerate(toc_pages(book_src))}


def test_every_page_of_the_toc_in_order(pdf, book_src):
    titles = [_normal(page_title(book_src, page)) for page in toc_pages(book_src)]
    assert [_normal(title) for title, _ in pdf["outline"]] == titles
    starts = [start for _, start in pdf["outline"]]
    assert starts == sorted(set(starts)) and starts[0] == 0, "each page starts a new PDF page"


def test_every_chapter_title_is_in_the_text(pdf, book_src):
    ranges = _page_ranges(pdf, book_src)
    missing = []
    for page in toc_pages(book_src):
        title = _normal(page_title(book_src, page))
        text = _normal("".join(pdf["pages"][i]["prose"] for i in ranges[page]))
        if title not in text:
            missing.append(page_title(book_src, page))
    assert missing == []


def test_no_page_has_raw_tex(pdf):
    raw = []
    for number, page in enumerate(pdf["pages"], start=1):
        for pattern in (RAW_TEX, RAW_TEX_WORDS):
            raw += [f"page {number}: ...{page['prose'][max(0, m.start() - 30):m.end() + 30]}..."
                    for m in pattern.finditer(page["prose"])]
    assert raw == []


def test_math_is_typeset(pdf, book_src):
    """Every page whose source has math has typeset math (KaTeX's fonts) in the PDF."""
    ranges = _page_ranges(pdf, book_src)
    untypeset = [page for page in toc_pages(book_src) if math_in_source(book_src, page)
                 and sum(pdf["pages"][i]["math"] for i in ranges[page]) == 0]
    assert untypeset == []


def _figures_in_source(book_src: Path, page: str) -> int:
    if source_file(book_src, page).suffix != ".ipynb":
        return 0
    count = 0
    for cell in notebook_json(book_src, page)["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code" or tags & {"remove-output", "remove-cell"}:
            continue
        count += sum(1 for out in cell.get("outputs", [])
                     if any(m.startswith("image/") for m in out.get("data", {})))
    return count


def _images_on(page) -> int:
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources else None
    if not xobjects:
        return 0
    return sum(1 for ref in xobjects.get_object().values()
               if ref.get_object().get("/Subtype") == "/Image")


def test_every_figure_is_in_the_pdf(pdf, book_src):
    ranges = _page_ranges(pdf, book_src)
    reader = pdf["reader"]
    short = {}
    for page in toc_pages(book_src):
        expected = _figures_in_source(book_src, page)
        found = sum(_images_on(reader.pages[i]) for i in ranges[page])
        if found < expected:
            short[page] = f"{found} images in the PDF, {expected} figures in the chapter"
    assert short == {}


def test_no_link_to_the_machine_that_made_it(pdf):
    local, internal = [], 0
    for number, page in enumerate(pdf["reader"].pages, start=1):
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            action = annot.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if re.match(r"(file:|https?://(127\.|localhost|\[::1\]))", uri):
                local.append(f"page {number}: {uri}")
            if "/Dest" in annot:
                internal += 1
    assert local == []
    assert internal > 0, "the links between chapters should stay links, inside the PDF"


def test_intro_links_to_the_pdf(visits, book_src, base_url, pdf_path):
    """The intro's link to ``book.pdf`` (beside index.html, where the published site has
    it) opens the PDF that ``make pdf`` wrote."""
    intro = toc_pages(book_src)[0]
    page = visits(intro).page
    links = page.evaluate("() => [...document.querySelectorAll('main a[href]')]"
                          ".filter(a => /(^|\\/)book\\.pdf$/.test(a.getAttribute('href')))"
                          ".map(a => a.href)")
    assert links == [f"{base_url}book.pdf"], "the intro links to book.pdf beside index.html"
    response = page.request.get(links[0])
    assert response.ok, f"{links[0]}: {response.status} (make pdf copies the PDF there)"
    assert response.body() == pdf_path.read_bytes()
