"""What a course reader expects (issue 17): numbered chapters and sections that match
the PDF, a "last updated" date and an edit button on each page, the whole-book PDF in
every page's download menu, the execution report, the changelog, "cite this book", a
references page with readable labels and an address (or the reason there is none) for
every entry, a filled index (the glossary), and, on a 390 px phone, a visible hint on
every box that scrolls sideways."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from browser_support import open_page, source_file, toc_pages

PHONE = {"width": 390, "height": 844}


def _text(visit) -> str:
    text = visit.page.evaluate("() => document.querySelector('main').innerText")
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())


def test_chapter_numbers_match_the_pdf(visits, toc_page, book_src, html_dir):
    """The page's numbered title is the PDF's bookmark for it (make_pdf reads it)."""
    from pypdf import PdfReader

    pdf = html_dir.parent / "pdf" / "book.pdf"
    if not pdf.is_file():
        pytest.fail(f"no PDF at {pdf}: run `make pdf`", pytrace=False)
    outline = [item.title for item in PdfReader(pdf).outline if not isinstance(item, list)]
    index = toc_pages(book_src).index(toc_page)
    h1 = " ".join(visits(toc_page).page.evaluate(
        "() => document.querySelector('article.bd-article h1').innerText").split())
    assert h1.replace("#", "").strip() == outline[index]


def test_chapters_are_numbered_in_the_html(visits, book_src):
    toc = yaml.safe_load((book_src / "_toc.yml").read_text(encoding="utf-8"))
    numbered = [e["file"] for part in toc["parts"] if part.get("numbered")
                for e in part["chapters"]]
    numbers = []
    for page in numbered:
        h1 = visits(page).page.evaluate(
            "() => document.querySelector('article.bd-article h1 .section-number')"
            "?.textContent.trim()")
        numbers.append(h1)
    assert numbers == [f"{n}." for n in range(1, len(numbered) + 1)]
    sections = visits(numbered[0]).page.evaluate(
        "() => [...document.querySelectorAll('article.bd-article h2 .section-number')]"
        ".map(s => s.textContent.trim())")
    assert sections[:2] == ["1.1.", "1.2."], "sections are numbered within their chapter"


def test_last_updated_and_edit_button(visits, toc_page, book_src, book_config):
    visit = visits(toc_page)
    match = re.search(r"Last updated on (\d{4}-\d{2}-\d{2})", visit.page.evaluate(
        "() => document.body.innerText"))
    assert match, "no 'Last updated on' date"
    source = source_file(book_src, toc_page)
    git = subprocess.run(["git", "log", "-1", "--format=%cs", "--", str(source)],
                         cwd=book_src, capture_output=True, text=True)
    if git.returncode == 0 and git.stdout.strip():
        assert match.group(1) == git.stdout.strip(), "the date of the source's last commit"
    repo = book_config["repository"]["url"].rstrip("/")
    branch = book_config["repository"]["branch"]
    edit = f"{repo}/edit/{branch}/{source.relative_to(book_src).as_posix()}"
    links = visit.page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    assert edit in links


def test_whole_book_pdf_in_the_download_menu(visits, toc_page, base_url):
    links = visits(toc_page).page.evaluate(
        "() => [...document.querySelectorAll('.dropdown-download-buttons a[href]')]"
        ".map(a => a.href)")
    assert f"{base_url}book.pdf" in links


def test_intro_title_is_not_doubled(visits, book_src, book_config):
    title = visits(toc_pages(book_src)[0]).page.title()
    assert title == book_config["title"]


def _page_named(book_src: Path, stem: str) -> str:
    pages = [p for p in toc_pages(book_src) if Path(p).name == stem]
    assert pages, f"book/{stem} is not in _toc.yml"
    return pages[0]


def test_execution_report_lists_every_notebook(visits, book_src):
    text = _text(visits(_page_named(book_src, "execution")))
    notebooks = [p for p in toc_pages(book_src) if source_file(book_src, p).suffix == ".ipynb"]
    assert [p for p in notebooks if f"{p}.ipynb" not in text] == []
    assert "nbval" in text and "numpy==" in text
    record = book_src / "book" / "execution.json"
    if record.is_file():
        for name, entry in json.loads(record.read_text(encoding="utf-8")).items():
            if any(p.endswith(Path(name).stem) for p in notebooks):
                assert entry["executed"] in text, f"{name}: its execution date"


def test_changelog_and_cite_pages(visits, book_src, book_config):
    changelog = _text(visits(_page_named(book_src, "changelog")))
    headings = re.findall(r"^#+ (.+)$", (book_src / "CHANGELOG.md").read_text(encoding="utf-8"),
                          re.M)
    assert [h for h in headings if " ".join(re.sub(r"[\[\]`*]", "", h).split())
            not in changelog] == []
    cite = _text(visits(_page_named(book_src, "cite")))
    cff = yaml.safe_load((book_src / "CITATION.cff").read_text(encoding="utf-8"))
    assert "@software{" in cite and f"title = {{{cff['title']}}}" in cite
    assert f"{cff['title']} (Version {cff['version']}) [Computer software]" in cite


def test_references_have_readable_labels_and_addresses(visits, book_src):
    entries = visits(_page_named(book_src, "references")).page.evaluate("""() =>
      [...document.querySelectorAll('[role="doc-biblioentry"]')].map(e => ({
        label: e.querySelector('.label')?.innerText.trim(),
        text: e.innerText, links: e.querySelectorAll('a[href^="http"]').length}))""")
    assert entries
    assert [e["label"] for e in entries] == [f"[{n}]" for n in range(1, len(entries) + 1)]
    assert [e["text"][:80] for e in entries
            if not e["links"] and "No address" not in e["text"]] == []


def test_index_is_filled_by_the_glossary(browser, base_url):
    visit = open_page(browser, base_url, "genindex.html")
    try:
        text = _text(visit)
        for term in ("Jacobian", "VJP", "JVP", "Log-sum-exp", "Softmax"):
            assert term in text, f"{term} is not in the index"
    finally:
        visit.page.context.close()


SCROLLING_JS = """() => [...document.querySelectorAll('article.bd-article *')].filter(el => {
    const s = getComputedStyle(el);
    return /auto|scroll/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1
      && el.checkVisibility();
  }).map(el => ({what: `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`,
                 text: el.textContent.trim().slice(0, 40),
                 attachment: getComputedStyle(el).backgroundAttachment,
                 images: getComputedStyle(el).backgroundImage.split('gradient').length - 1}))"""


def test_on_a_phone_what_scrolls_sideways_shows_it(browser, base_url, toc_page):
    visit = open_page(browser, base_url, f"{toc_page}.html", viewport=PHONE)
    try:
        boxes = visit.page.evaluate(SCROLLING_JS)
    finally:
        visit.page.context.close()
    silent = [f"{b['what']} ({b['text']!r})" for b in boxes
              if not (b["images"] >= 4 and "local" in b["attachment"]
                      and "scroll" in b["attachment"])]
    assert silent == [], "boxes that scroll sideways without a shadow at the hidden edge"
