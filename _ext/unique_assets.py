"""Write each inline script and stylesheet once per page.

Sphinx 7.4 adds an asset registered with ``app.add_js_file(None, body=...)`` after the
builder starts (sphinx-thebe and sphinx-togglebutton do) to the page twice: once with
``filename=None`` and once with ``filename=''``. The page then declares
``const THEBE_JS_URL`` twice, and every page logs "SyntaxError: Identifier 'THEBE_JS_URL'
has already been declared" (the browser test, tests/browser, catches it). This extension
drops the second copy, treating ``None`` and ``''`` as the same file.
"""

from __future__ import annotations

from typing import Any


def _key(asset: Any) -> tuple:
    attributes = getattr(asset, "attributes", {})
    return (getattr(asset, "filename", asset) or "", getattr(asset, "priority", 0),
            tuple(sorted(attributes.items())))


def _unique(app, pagename, templatename, context, doctree) -> None:
    for name in ("script_files", "css_files"):
        assets = context.get(name)
        if not isinstance(assets, list):
            continue
        seen: set[tuple] = set()
        unique = []
        for asset in assets:
            if _key(asset) not in seen:
                seen.add(_key(asset))
                unique.append(asset)
        assets[:] = unique


def setup(app) -> dict:
    app.connect("html-page-context", _unique)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
