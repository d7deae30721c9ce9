"""Accessibility of every page of the toc, in the theme's light and dark modes.

* axe-core (the npm package, which ``make test-browser`` installs into
  ``tests/browser/node_modules/``; injected from that file, no network) runs on every
  page in each mode, and a serious or critical violation fails, unless it is one of
  ``NOT_OURS`` below: markup that the theme or docutils writes, which the book cannot
  change, each excused for one rule on the elements of one selector only. Every
  violation axe finds, of any impact, is written to ``_build/accessibility/`` (one JSON
  file per page and mode) for the record.
* Every image has alt text that says something: not empty, not a file name. The
  figures of a chapter (images in the article) say it in at least three words.
* Figures stay legible in dark mode: each is shown on an opaque white background with
  no filter, and looks as light as it does in light mode (no dark text on a dark
  background, no dimming).
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from browser_support import COLOR_MODES, REPO_ROOT, set_color_mode

AXE_JS = Path(os.environ.get("AXE_CORE", REPO_ROOT / "tests" / "browser" / "node_modules"
                             / "axe-core" / "axe.min.js"))
FAILING_IMPACTS = ("serious", "critical")

# Violations in markup the book does not write, excused narrowly: (axe rule, CSS selector
# of the elements it is excused on, whose markup it is and why it cannot be fixed here).
NOT_OURS = [
    ("label-content-name-mismatch", ".search-button-field.search-button__button",
     "pydata-sphinx-theme 0.17's search field: aria-label 'Search' lacks its visible "
     "keyboard hint 'Ctrl+K' (the theme's template)"),
    ("label-content-name-mismatch", ".theme-switch-button",
     "pydata-sphinx-theme 0.17's colour-mode button: aria-label 'Color mode', while its "
     "icons carry the titles 'Light', 'Dark', 'System Settings' (the theme's template)"),
    ("aria-required-children", "div.citation-list[role=list]",
     "docutils' HTML for a bibliography (sphinxcontrib-bibtex's {bibliography}): a "
     "role=list whose entries have role=doc-biblioentry, deprecated in DPUB-ARIA 1.1, so "
     "axe counts the entries' links as the list's children; the bullet-list style that "
     "avoids it breaks {cite} (could not find bibtex key)"),
]

AXE_RUN_JS = """async (notOurs) => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => {
      const el = n.target.length === 1 ? document.querySelector(n.target[0]) : null;
      const excused = !!el && notOurs.some(([rule, selector]) =>
        rule === v.id && el.matches(selector));
      return {target: n.target.join(' '), html: n.html.slice(0, 200), excused,
              summary: n.failureSummary};
    }),
  }));
}"""

IMAGES_JS = """() => [...document.images].map(img => ({
  src: img.getAttribute('src'), alt: img.getAttribute('alt'),
  inArticle: !!img.closest('article.bd-article'),
}))"""

FIGURE_STYLE_JS = """() => [...document.querySelectorAll('article.bd-article img')].map((img, i) => {
  const style = getComputedStyle(img);
  const r = img.getBoundingClientRect();
  return {index: i, src: img.getAttribute('src'), background: style.backgroundColor,
          filter: style.filter, opacity: style.opacity,
          visible: img.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
                   && r.width > 0 && r.height > 0,
          padding: ['Top', 'Right', 'Bottom', 'Left'].map(
            side => parseFloat(style['padding' + side]) + parseFloat(style['border' + side + 'Width']))};
})"""


def _short(page: str) -> str:
    return page.replace("/", "__")


@pytest.fixture(scope="session")
def axe_source(pytestconfig: pytest.Config) -> str:
    if not AXE_JS.is_file():
        if not pytestconfig.getoption("--require-book"):  # plain pytest in a fresh clone
            pytest.skip(f"{AXE_JS} not found: `make test-browser` installs axe-core")
        pytest.fail(f"{AXE_JS} not found: `make test-browser` installs axe-core with npm "
                    "(or set AXE_CORE to axe.min.js)", pytrace=False)
    return str(AXE_JS)


@pytest.fixture(scope="session")
def accessibility_dir(html_dir: Path) -> Path:
    out = html_dir.parent / "accessibility"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(params=COLOR_MODES)
def mode(request) -> str:
    return request.param


def test_no_serious_accessibility_violations(visits, toc_page, mode, axe_source,
                                             accessibility_dir):
    page = visits(toc_page).page
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=axe_source)
    try:
        set_color_mode(page, mode)
        violations = page.evaluate(AXE_RUN_JS, [[rule, sel] for rule, sel, _ in NOT_OURS])
    finally:
        set_color_mode(page, "light")
    (accessibility_dir / f"{_short(toc_page)}--{mode}.json").write_text(
        json.dumps(violations, indent=1), encoding="utf-8")
    failing = [f"{v['impact']} {v['id']} ({v['help']}): {n['target']}: {n['html']}"
               for v in violations if v["impact"] in FAILING_IMPACTS
               for n in v["nodes"] if not n["excused"]]
    assert failing == []


def _alt_problem(alt: str | None, src: str, in_article: bool) -> str | None:
    if alt is None:
        return "no alt attribute"
    text = " ".join(alt.split())
    if not text:
        return "empty alt text"
    name = Path(src.split("?")[0]).name
    if (name and name in text) or re.search(r"\.(png|jpe?g|gif|svg|webp)\b", text, re.I) \
            or re.fullmatch(r"[\w.\-]*/[\w./\-]*", text):
        return f"alt text is a file name: {text!r}"
    if in_article and len(text.split()) < 3:
        return f"alt text too short to say what the figure shows: {text!r}"
    return None


def test_every_image_has_real_alt_text(visits, toc_page):
    images = visits(toc_page).page.evaluate(IMAGES_JS)
    problems = [f"{img['src']}: {problem}" for img in images
                if (problem := _alt_problem(img["alt"], img["src"] or "", img["inArticle"]))]
    assert problems == []


def _luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance of an sRGB colour (0..255 channels)."""
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _css_color(value: str) -> tuple[float, float, float, float]:
    numbers = [float(x) for x in re.findall(r"[\d.]+", value)]
    if value.startswith("rgba") or len(numbers) == 4:
        return tuple(numbers[:4])  # type: ignore[return-value]
    return (*numbers[:3], 1.0)  # type: ignore[return-value]


def _mean_luminance(png: bytes, padding: list[float]) -> float:
    """Mean relative luminance of an element's screenshot inside its padding and border."""
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    top, right, bottom, left = (round(p) for p in padding)
    box = (left, top, max(left + 1, image.width - right), max(top + 1, image.height - bottom))
    c = np.asarray(image.crop(box), dtype=float) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float((c @ [0.2126, 0.7152, 0.0722]).mean())


def test_figures_stay_legible_in_dark_mode(visits, toc_page):
    page = visits(toc_page).page
    figures = page.locator("article.bd-article img")
    light = {f["index"]: f for f in page.evaluate(FIGURE_STYLE_JS)}
    if not light:
        pytest.skip(f"{toc_page} has no figure")
    light_shots = {i: figures.nth(i).screenshot() for i, f in light.items() if f["visible"]}
    try:
        set_color_mode(page, "dark")
        dark = page.evaluate(FIGURE_STYLE_JS)
        dark_shots = {i: figures.nth(i).screenshot() for i in light_shots}
    finally:
        set_color_mode(page, "light")
    problems = []
    for figure in dark:
        where = f"figure {figure['index'] + 1} ({figure['src']})"
        *rgb, alpha = _css_color(figure["background"])
        if alpha < 1 or _luminance(tuple(rgb)) < 0.9:
            problems.append(f"{where}: dark-mode background {figure['background']}, not white")
        if figure["filter"] != "none" or float(figure["opacity"]) < 1:
            problems.append(f"{where}: dark mode changes it (filter {figure['filter']}, "
                            f"opacity {figure['opacity']})")
    for i, shot in light_shots.items():
        before = _mean_luminance(shot, light[i]["padding"])
        after = _mean_luminance(dark_shots[i], dark[i]["padding"])
        if after < before - 0.02:
            problems.append(f"figure {i + 1} ({light[i]['src']}): darker in dark mode "
                            f"(mean luminance {after:.2f}, {before:.2f} in light mode)")
    assert problems == []
