"""Pages that load only what they show.

The theme (pydata-sphinx-theme, under sphinx-book-theme) loads on every page
``fontawesome.js`` (1.49 MB, which redraws the page's dozen icons as SVG) and, through
its CSS, FontAwesome's icon fonts (274 KB for the whole icon set). The book drops the
script (``_templates/static/webpack-macros.html``): the theme's CSS draws the same icons
from the icon font. This extension cuts that font down to the icons the book shows.

After the HTML is written it reads which icons are used: the ``fa-NAME`` classes in the
built pages and in the theme's scripts, and every icon the theme's CSS puts in a
pseudo-element (admonition titles, external links, breadcrumbs, ...). It writes each
FontAwesome font with only those glyphs to ``_static/icons/`` (fontTools, as WOFF) and
``_static/book-icons.css``, whose ``@font-face`` rules come after the theme's and
replace them, so the browser never asks for the full fonts; and it removes from the
theme's CSS the rules of the icons the book does not show.

A page also loads sphinx-design's stylesheet and script only when it uses sphinx-design.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
CSS_NAME = "book-icons.css"
FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}")
# A character of the Private Use Area (where icon fonts put their glyphs), as itself or
# as a CSS escape.
ICON_CHAR = r"(?:[\ue000-\uf8ff]|\\f[0-9a-fA-F]{3})"
ICON_RULE = re.compile(r"([^{}]*)\{[^{}]*?content:\s*\"(" + ICON_CHAR + r")\"[^{}]*\}")
ICON_VARIABLE = re.compile(r"--[\w-]+:\s*\"(" + ICON_CHAR + r")\"")
CLASS_SELECTOR = re.compile(r"^\.fa-([a-z0-9-]+):{1,2}before$")
USED_CLASS = re.compile(r"\bfa-([a-z0-9][a-z0-9-]*)")


def _char(text: str) -> int:
    return int(text[1:], 16) if text.startswith("\\") else ord(text)


def icon_codepoints(css: str) -> tuple[dict[str, int], set[int]]:
    """From the theme's CSS: ``{icon name: codepoint}`` of its ``.fa-NAME:before``
    rules, and the codepoints that its other rules and variables draw themselves."""
    by_name: dict[str, int] = {}
    drawn: set[int] = set()
    for selectors, char in ICON_RULE.findall(css):
        names = [CLASS_SELECTOR.match(s.strip()) for s in selectors.split(",")]
        if all(names):
            by_name.update({match.group(1): _char(char) for match in names})
        else:
            drawn.add(_char(char))
    drawn.update(_char(char) for char in ICON_VARIABLE.findall(css))
    return by_name, drawn


def font_faces(css: str) -> list[dict[str, str]]:
    """The icon fonts' ``@font-face`` rules: family, weight, style and the TrueType
    file (the source for the subset: fontTools reads WOFF2 only with brotli)."""
    faces = []
    for body in FONT_FACE.findall(css):
        family = re.search(r"font-family:\s*([^;]+)", body)
        ttf = re.search(r"url\(([^)]+\.ttf)\)", body)
        if not (family and ttf and "Font Awesome" in family.group(1)):
            continue
        weight = re.search(r"font-weight:\s*(\d+)", body)
        style = re.search(r"font-style:\s*(\w+)", body)
        faces.append({"family": family.group(1).replace("\\", "").strip().strip("\"'"),
                      "weight": weight.group(1) if weight else "400",
                      "style": style.group(1) if style else "normal",
                      "ttf": ttf.group(1).strip("\"'")})
    return faces


def _without_unused_icons(css: str, used: set[str]) -> str:
    """The theme's CSS less its ``.fa-NAME:before`` rules for icons the book does not
    show (about 67 KB of the 397 KB)."""
    def keep(match: re.Match) -> str:
        names = [CLASS_SELECTOR.match(s.strip()) for s in match.group(1).split(",")]
        if all(names) and not {m.group(1) for m in names} & used:
            return ""
        return match.group(0)

    return ICON_RULE.sub(keep, css)


def _subset(source: Path, target: Path, codepoints: set[int]) -> None:
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.ignore_missing_unicodes = True
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(target), options)


def write_icon_fonts(outdir: Path) -> list[str]:
    """Subset the theme's icon fonts to the icons the built book uses; write
    ``_static/book-icons.css``. Returns the icon names used."""
    static = outdir / "_static"
    theme_css = static / "styles" / "pydata-sphinx-theme.css"
    css = theme_css.read_text(encoding="utf-8")
    by_name, codepoints = icon_codepoints(css)
    names: set[str] = set()
    scripts = [p for p in static.rglob("*.js") if p.name != "fontawesome.js"]
    for path in [*outdir.rglob("*.html"), *scripts]:
        names.update(USED_CLASS.findall(path.read_text(encoding="utf-8", errors="replace")))
    icons = sorted(name for name in names if name in by_name)
    codepoints |= {by_name[name] for name in icons}
    theme_css.write_text(_without_unused_icons(css, set(icons)), encoding="utf-8")
    rules = []
    for face in font_faces(css):
        source = (theme_css.parent / face["ttf"]).resolve()
        target = static / "icons" / (source.stem + ".woff")
        _subset(source, target, codepoints)
        rules.append(f'@font-face {{ font-family: "{face["family"]}"; '
                     f'font-style: {face["style"]}; font-weight: {face["weight"]}; '
                     f'font-display: block; src: url(icons/{target.name}) format("woff"); }}')
    (static / CSS_NAME).write_text(
        "/* Written by _ext/light_pages.py: FontAwesome's fonts with only the icons this\n"
        f"   book shows ({', '.join(icons)}, and the theme's own). */\n"
        + "\n".join(rules) + "\n", encoding="utf-8")
    return icons


def _build_finished(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        icons = write_icon_fonts(Path(app.outdir))
        logger.info(f"light_pages: icon fonts cut down to {len(icons)} icons")


def _only_where_used(app, pagename, templatename, context, doctree) -> None:
    """sphinx-design's CSS and JS only on a page that uses it (its classes: ``sd-``)."""
    if "sd-" in context.get("body", ""):
        return
    for name in ("css_files", "script_files"):
        assets = context.get(name)
        if isinstance(assets, list):
            assets[:] = [a for a in assets
                         if not re.search(r"(^|/)(sphinx-design\.[^/]*\.css|design-tabs\.js)",
                                          str(getattr(a, "filename", a) or ""))]


def setup(app) -> dict:
    app.add_css_file(CSS_NAME)
    app.connect("html-page-context", _only_where_used)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
