"""The whole book as one PDF (``make pdf``: tools/make_pdf.py prints each page of the
toc in Chromium and merges them into ``_build/pdf/book.pdf``, copied to
``_build/html/book.pdf``, where the intro and every page's download menu link to it).

The PDF reads like a book: a title page (title, authors, version, date, licenses), a
contents list of every chapter with its page number, then every page of the toc in
order, each under its title (a bookmark, and the title in its text), chapters numbered
as in the HTML; one page-number sequence through the whole book in a footer of a
readable size; the hints and solutions in an appendix at the end, by chapter, with each
exercise pointing there; no page more than half blank except a part's last. Its math is
typeset (text in KaTeX's fonts, and no raw TeX in the prose: code, in the monospace font,
is not searched); it has every figure of every chapter; the intro's sentence about the
PDF is not in it; and it has no link to the machine that made it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
import yaml
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
    appendix = next((i for i, item in enumerate(reader.outline) if isinstance(item, list)), None)
    appendix_parts = ([(item.title, reader.get_destination_page_number(item))
                       for item in reader.outline[appendix]] if appendix is not None else [])
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
                      "math": found["math"], **_geometry(page)})
    return {"reader": reader, "outline": outline, "appendix": appendix_parts, "pages": pages}


MM = 72 / 25.4  # PDF points per millimetre
MARGIN_BOTTOM, MARGIN_TOP = 18 * MM, 15 * MM  # tools/make_pdf.py's MARGINS


def _geometry(page) -> dict:
    """Where text is drawn on the page, in points from its bottom edge: how much of the
    page is left blank under the lowest line of the content (above the bottom margin),
    and the text in the bottom margin (the footer) with its size in points."""
    height = float(page.mediabox.height)
    state = {"lowest": height, "footer": []}

    def mark(ys):
        ys = [y for y in ys if y > MARGIN_BOTTOM - 1]
        if ys:
            state["lowest"] = min(state["lowest"], *ys)

    def text(t, cm, tm, font, size):
        if not t.strip():
            return
        m = [tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3],
             tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3],
             tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5]]
        y = m[5]
        if y < MARGIN_BOTTOM - 1:
            state["footer"].append((t, size * (m[2] ** 2 + m[3] ** 2) ** 0.5))
        else:
            mark([y])

    page.extract_text(visitor_text=text)
    room = height - MARGIN_TOP - MARGIN_BOTTOM
    return {"blank": max(0.0, (state["lowest"] - MARGIN_BOTTOM) / room),
            "footer": "".join(t for t, _ in state["footer"]),
            "footer_size": min((size for _, size in state["footer"]), default=0)}


def _numberless(title: str) -> str:
    """A title without its chapter or section number ("2.11. Train it" -> "Train it")."""
    return re.sub(r"^\d+(\.\d+)*\.\s*", "", title)


def _page_ranges(pdf: dict, book_src: Path) -> dict[str, range]:
    """The PDF pages of each toc page, from the outline (one bookmark per toc page)."""
    starts = [start for _, start in pdf["outline"]] + [len(pdf["pages"])]
    return {page: range(starts[i], starts[i + 1])
            for i, page in enumerate(toc_pages(book_src))}


def _appendix_ranges(pdf: dict) -> dict[str, range]:
    """The appendix's pages for each chapter, by the chapter's (numbered) title."""
    starts = [start for _, start in pdf["appendix"]] + [len(pdf["pages"])]
    return {title: range(starts[i], starts[i + 1])
            for i, (title, _) in enumerate(pdf["appendix"])}


def test_every_page_of_the_toc_in_order(pdf, book_src):
    titles = [_normal(page_title(book_src, page)) for page in toc_pages(book_src)]
    outline = [_normal(_numberless(title)) for title, _ in pdf["outline"]]
    assert outline == titles + [_normal("Hints and solutions")]
    starts = [start for _, start in pdf["outline"]]
    assert starts == sorted(set(starts)), "each part starts a new PDF page"
    assert starts[0] >= 2, "a title page and the contents come first"


def test_chapters_are_numbered(pdf, book_src):
    """The chapters of the numbered parts of _toc.yml carry their numbers 1, 2, ... in
    the bookmarks, as in the HTML; the other pages none."""
    toc = yaml.safe_load((book_src / "_toc.yml").read_text(encoding="utf-8"))
    numbered = [entry["file"] for part in toc["parts"] if part.get("numbered")
                for entry in part["chapters"]]
    titles = dict(zip(toc_pages(book_src), (title for title, _ in pdf["outline"])))
    got = [re.match(r"^(\d+)\. ", titles[page]) for page in numbered]
    assert [int(m.group(1)) if m else None for m in got] == list(range(1, len(numbered) + 1))
    plain = [toc["root"]] + [entry["file"] for part in toc["parts"]
                             if not part.get("numbered") for entry in part["chapters"]]
    assert [titles[p] for p in plain if re.match(r"^\d", titles[p])] == []


def test_every_chapter_title_is_in_the_text(pdf, book_src):
    ranges = _page_ranges(pdf, book_src)
    missing = []
    for page in toc_pages(book_src):
        title = _normal(page_title(book_src, page))
        text = _normal("".join(pdf["pages"][i]["prose"] for i in ranges[page]))
        if title not in text:
            missing.append(page_title(book_src, page))
    assert missing == []


def test_title_page(pdf, book_src, book_config):
    citation = yaml.safe_load((book_src / "CITATION.cff").read_text(encoding="utf-8"))
    text = " ".join(pdf["pages"][0]["prose"].split())
    assert book_config["title"] in text
    for author in citation["authors"]:
        assert author["name"] in text
    assert f"Version {citation['version']}" in text
    assert re.search(r"\b20\d\d-\d\d-\d\d\b", text), "the date the PDF was made"
    assert "CC BY-SA 4.0" in text and "MIT License" in text


def test_contents_lists_every_part_with_its_page(pdf):
    """The contents (after the title page, before the first chapter) names every part
    with the number of its first page, and links there."""
    first = pdf["outline"][0][1]
    text = _normal("".join(pdf["pages"][i]["prose"] for i in range(1, first)))
    assert _normal("Contents") in text
    parts = [(t, s) for t, s in pdf["outline"] if t != "Hints and solutions"] + pdf["appendix"]
    missing = [f"{title} ... {start + 1}" for title, start in parts
               if _normal(f"{title}") + str(start + 1) not in text]
    assert missing == []
    reader = pdf["reader"]
    targets = set()
    for i in range(1, first):
        for ref in reader.pages[i].get("/Annots") or []:
            dest = ref.get_object().get("/Dest")
            if dest is not None:
                targets.add(reader.get_page_number(dest[0].get_object()))
    assert {start for _, start in parts} <= targets, "a contents entry without a link"


def test_one_page_number_sequence_in_a_readable_footer(pdf, book_config):
    wrong = []
    for index, page in enumerate(pdf["pages"][1:], start=1):
        numbers = re.findall(r"\d+", page["footer"])
        if not numbers or int(numbers[-1]) != index + 1:
            wrong.append(f"page {index + 1}: footer {page['footer']!r}")
        elif page["footer_size"] < 8:
            wrong.append(f"page {index + 1}: footer in {page['footer_size']:.1f} pt")
        elif book_config["title"] not in page["footer"]:
            wrong.append(f"page {index + 1}: footer without the book's title")
    assert wrong == []


def _count(book_src: Path, page: str, pattern: str) -> int:
    if source_file(book_src, page).suffix != ".ipynb":
        return 0
    return sum(len(re.findall(pattern, "".join(c["source"]), re.M))
               for c in notebook_json(book_src, page)["cells"] if c["cell_type"] == "markdown")


def test_answers_are_in_the_appendix_not_beside_the_questions(pdf, book_src):
    ranges, appendix = _page_ranges(pdf, book_src), _appendix_ranges(pdf)
    titles = dict(zip(toc_pages(book_src), (title for title, _ in pdf["outline"])))
    problems = []
    for page in toc_pages(book_src):
        exercises = _count(book_src, page, r"^(`{3,}|:{3,})\{exercise\}")
        solutions = _count(book_src, page, r"^(`{3,}|:{3,})\{solution-start\}")
        text = " ".join(" ".join(pdf["pages"][i]["prose"] for i in ranges[page]).split())
        if "Solution to Exercise" in text:
            problems.append(f"{page}: a solution beside its exercise")
        if not exercises:
            continue
        pointers = text.count("Hints and solution: in the appendix")
        if pointers != exercises:
            problems.append(f"{page}: {pointers} pointers to the appendix, {exercises} exercises")
        if titles[page] not in appendix:
            problems.append(f"{page}: no part of the appendix")
            continue
        answers = " ".join(" ".join(pdf["pages"][i]["prose"] for i in appendix[titles[page]]).split())
        if answers.count("Solution to Exercise") != solutions:
            problems.append(f"{page}: {answers.count('Solution to Exercise')} solutions in "
                            f"the appendix, {solutions} in the chapter's source")
    assert problems == []


def test_no_page_more_than_half_blank(pdf):
    """Except the last page of a part (the front matter, a chapter, a chapter of the
    appendix): long code, outputs and tables break across pages. Measured from the
    lowest line of text; a page with a figure is not measured (its place on the page is
    not read here: figures are at most 105 mm tall in print, under half a page)."""
    starts = sorted({start for _, start in pdf["outline"]} | {s for _, s in pdf["appendix"]})
    last_pages = {start - 1 for start in starts} | {len(pdf["pages"]) - 1}
    blank = [f"page {i + 1}: {page['blank']:.0%} blank"
             for i, page in enumerate(pdf["pages"])
             if i not in last_pages and i > 0 and page["blank"] > 0.5
             and not _images_on(pdf["reader"].pages[i])]
    assert blank == []


def test_intro_sentence_about_the_pdf_is_not_printed(pdf, book_src):
    intro = _page_ranges(pdf, book_src)[toc_pages(book_src)[0]]
    text = " ".join(" ".join(pdf["pages"][i]["prose"] for i in intro).split())
    assert "the whole book is also one" not in text
    assert "Who it is for" in text, "the intro is printed"


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
    answers = _appendix_ranges(pdf)
    titles = dict(zip(toc_pages(book_src), (title for title, _ in pdf["outline"])))
    for page in toc_pages(book_src):
        expected = _figures_in_source(book_src, page)
        found = sum(_images_on(reader.pages[i])
                    for i in [*ranges[page], *answers.get(titles[page], [])])
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
    links = page.evaluate("() => [...document.querySelectorAll('article.bd-article a[href]')]"
                          ".filter(a => /(^|\\/)book\\.pdf$/.test(a.getAttribute('href')))"
                          ".map(a => a.href)")
    assert links == [f"{base_url}book.pdf"], "the intro links to book.pdf beside index.html"
    response = page.request.get(links[0])
    assert response.ok, f"{links[0]}: {response.status} (make pdf copies the PDF there)"
    assert response.body() == pdf_path.read_bytes()
