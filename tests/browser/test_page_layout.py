"""Nothing on a page is cut off or hidden behind a scrollbar in a 1280 px window (the
browser test's window, ``browser_support.VIEWPORT``):

* no display equation is wider than the column it is set in (split a long one with
  ``aligned``);
* no block of code or output is wider than its box (it would scroll sideways), and no
  line of one is longer than 80 columns (the book's limit for a line of code).

Equations and code inside collapsed hints and solutions are measured too: they are laid
out, only hidden.
"""

from __future__ import annotations

from browser_support import VIEWPORT

MAX_COLUMNS = 80

EQUATIONS_JS = """() => {
  const tex = new Map();
  if (window.MathJax && MathJax.startup && MathJax.startup.document) {
    for (const item of MathJax.startup.document.math) {
      if (item.typesetRoot) tex.set(item.typesetRoot, item.math);
    }
  }
  return [...document.querySelectorAll('article.bd-article mjx-container[display="true"]')]
    .map(c => {
      const math = c.querySelector(':scope > mjx-math') || c;
      return {tex: (tex.get(c) || c.textContent).trim().replace(/\\s+/g, ' '),
              width: math.getBoundingClientRect().width, room: c.clientWidth};
    }).filter(eq => eq.room > 0);
}"""

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
    too_wide = [f"{eq['width']:.0f} px in {eq['room']} px: {eq['tex'][:90]}"
                for eq in page.evaluate(EQUATIONS_JS) if eq["width"] > eq["room"] + 0.5]
    assert too_wide == []


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
