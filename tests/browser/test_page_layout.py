"""Nothing on a page is cut off or hidden behind a scrollbar in a 1280 px window (the
browser test's window, ``browser_support.VIEWPORT``):

* no display equation is wider than the column it is set in (split a long one with
  ``aligned``), or cut at its top or bottom;
* no block of code or output is wider than its box (it would scroll sideways), and no
  line of one is longer than 80 columns (the book's limit for a line of code).

Equations and code inside collapsed hints and solutions are measured too: they are laid
out, only hidden.
"""

from __future__ import annotations

from browser_support import VIEWPORT

MAX_COLUMNS = 80

# A display equation is KaTeX's .katex-display; its drawing (.katex-html) scrolls
# sideways when it is wider than the column (KaTeX's CSS), and could be cut at the top or
# bottom (overflow-y hidden). The TeX is read from its MathML annotation.
DISPLAYS = "article.bd-article .katex-display"
EQUATIONS_JS = """() => [...document.querySelectorAll('article.bd-article .katex-display')]
  .map((d, index) => {
    const html = d.querySelector('.katex-html');
    const tex = d.querySelector('annotation[encoding="application/x-tex"]');
    return {index, tex: (tex ? tex.textContent : d.textContent).trim().replace(/\\s+/g, ' '),
            width: html.scrollWidth, room: html.clientWidth,
            height: html.scrollHeight, shown: html.clientHeight};
  }).filter(eq => eq.room > 0)"""

CODE_JS = """() => [...document.querySelectorAll('article.bd-article pre')].map(pre => {
  const cell = pre.closest('div.cell');
  const kind = pre.closest('.cell_output') ? 'output' : (cell ? 'code cell' : 'code block');
  const cells = [...document.querySelectorAll('article.bd-article div.cell')];
  return {kind, cell: cell ? cells.indexOf(cell) + 1 : null,
          text: pre.textContent, scroll: pre.scrollWidth - pre.clientWidth,
          laidOut: pre.clientWidth > 0};
})"""


def _where(block: dict) -> str:
    first = next((line.strip() for line in block["text"].splitlines() if line.strip()), "")
    cell = f" {block['cell']}" if block["cell"] else ""
    return f"{block['kind']}{cell} ({first[:40]!r})"


def test_display_equations_fit_the_page(visits, toc_page):
    page = visits(toc_page).page
    assert page.viewport_size["width"] == VIEWPORT["width"] == 1280
    equations = page.evaluate(EQUATIONS_JS)
    too_wide = [f"{eq['width']:.0f} px in {eq['room']} px: {eq['tex'][:90]}"
                for eq in equations if eq["width"] > eq["room"] + 0.5]
    assert too_wide == []
    cut = [f"{eq['height']:.0f} px tall, {eq['shown']} px shown: {eq['tex'][:90]}"
           for eq in equations if eq["height"] > eq["shown"] + 0.5 and _cut(page, eq["index"])]
    assert cut == [], "equations cut at the top or bottom"


def _cut(page, index: int) -> bool:
    """Whether the equation looks different once nothing in it is clipped. (KaTeX's
    invisible struts make its box taller than the glyphs: only the pixels can tell.)"""
    display = page.locator(DISPLAYS).nth(index)
    display.scroll_into_view_if_needed()
    box = display.bounding_box()
    if box is None:
        return False
    clip = {"x": box["x"], "y": max(0, box["y"] - 20), "width": box["width"],
            "height": box["height"] + 40}
    style = ("([sel, i, overflow, background]) => Object.assign(document.querySelectorAll(sel)[i]"
             ".querySelector('.katex-html').style, {overflow, backgroundImage: background})")
    try:  # without the scroll shadows (book/style/smgrad.css), which move with overflow
        page.evaluate(style, [DISPLAYS, index, "", "none"])
        clipped = page.screenshot(clip=clip)
        page.evaluate(style, [DISPLAYS, index, "visible", "none"])
        whole = page.screenshot(clip=clip)
    finally:
        page.evaluate(style, [DISPLAYS, index, "", ""])
    return clipped != whole


def test_no_code_scrolls_sideways(visits, toc_page):
    blocks = visits(toc_page).page.evaluate(CODE_JS)
    scrolling = [f"{_where(b)}: {b['scroll']} px hidden" for b in blocks
                 if b["laidOut"] and b["scroll"] > 1]
    assert scrolling == []


def test_no_code_line_over_80_columns(visits, toc_page):
    blocks = visits(toc_page).page.evaluate(CODE_JS)
    long_lines = [f"{_where(b)}: {len(line.rstrip())} columns: {line.strip()[:50]!r}..."
                  for b in blocks for line in b["text"].splitlines()
                  if len(line.rstrip()) > MAX_COLUMNS]
    assert long_lines == []
