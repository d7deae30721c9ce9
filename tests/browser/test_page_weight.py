"""What a page costs a reader to load (``make bench-pages`` reports the figures; the
limits are here).

* Every page of the toc loads at most 1.5 MB in all, counted as Chromium downloads it
  (every request, as transferred, into an empty cache).
* No page loads the theme's 1.49 MB icon script (fontawesome.js) or FontAwesome's full
  fonts: the icons come from ``_static/icons/`` (``_ext/light_pages.py``), and every
  icon on the page is drawn (a glyph of the cut-down font, not an empty box).
"""

from __future__ import annotations

from tools.bench_pages import measure  # the same measurement as the benchmark

MAX_BYTES = 1_500_000

# Every icon the page draws: an element's ::before or ::after in a FontAwesome font.
ICONS_JS = """async () => {
  await document.fonts.ready;
  const icons = [];
  for (const el of document.querySelectorAll('body *')) {
    for (const pseudo of ['::before', '::after']) {
      const style = getComputedStyle(el, pseudo);
      if (!style.fontFamily.includes('Font Awesome') || !/^["']/.test(style.content)) continue;
      const text = style.content.slice(1, -1);
      if (!text) continue;
      icons.push({where: `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}${pseudo}`,
                  codepoint: text.codePointAt(0), weight: style.fontWeight,
                  brands: style.fontFamily.includes('Brands')});
    }
  }
  return {icons, requests: performance.getEntriesByType('resource').map(r => r.name)};
}"""


def _font_file(icon: dict) -> str:
    if icon["brands"]:
        return "fa-brands-400.woff"
    return "fa-solid-900.woff" if int(icon["weight"]) >= 600 else "fa-regular-400.woff"


def test_page_loads_at_most_1_5_mb(browser, base_url, toc_page):
    loaded = measure(browser, f"{base_url}{toc_page}.html", rate=1)
    assert loaded["bytes"] <= MAX_BYTES, \
        f"{loaded['bytes'] / 1e6:.2f} MB in {loaded['requests']} requests"


def test_icons_come_from_the_cut_down_font(visits, toc_page, html_dir):
    from fontTools.ttLib import TTFont

    found = visits(toc_page).page.evaluate(ICONS_JS)
    assert found["icons"], "the theme's buttons have icons"
    heavy = [url for url in found["requests"]
             if "fontawesome.js" in url or "/vendor/fontawesome/webfonts/" in url]
    assert heavy == []
    assert any("/_static/icons/" in url for url in found["requests"])
    cmaps = {name: set(TTFont(html_dir / "_static" / "icons" / name).getBestCmap())
             for name in {_font_file(icon) for icon in found["icons"]}}
    missing = [f"{icon['where']}: U+{icon['codepoint']:04X}" for icon in found["icons"]
               if icon["codepoint"] not in cmaps[_font_file(icon)]]
    assert missing == [], "icons whose glyph is not in the cut-down font"
