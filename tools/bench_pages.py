"""What each page of the built book costs a reader: ``make bench-pages``.

Every page of the table of contents is served from ``_build/html`` on 127.0.0.1 and
opened in headless Chromium (Debian's, driven by Playwright, as in the browser test), in
a fresh browser context each time (an empty cache, like a first visit). For each page it
reports

* **bytes**: everything the browser downloads to show the page (HTML, CSS, scripts,
  fonts, images), as transferred (Chrome's ``encodedDataLength``: headers included);
* **requests**: how many of them;
* **math visible**: milliseconds from navigation until every equation of the page is
  typeset and the fonts it uses have loaded (checked once per animation frame, before
  the frame is painted), on this machine's CPU and with the CPU slowed down 4× (Chrome's
  ``Emulation.setCPUThrottlingRate``, about a mid-range phone). A page without math
  reports the time its fonts are ready.

Each figure is the median of ``--runs`` loads. A Markdown table goes to stdout and to
``_build/bench-pages/pages.md``, the figures to ``_build/bench-pages/pages.json``.
These are measurements, not a test: the byte limit is a test (tests/browser).

    python -m tools.bench_pages [--html _build/html] [--runs 3]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import statistics
import sys
import threading
from pathlib import Path

from tools.make_pdf import CHROMIUM_ARGS
from tools.sources import ROOT, toc_pages

THROTTLING = (1, 4)
# Typeset math: MathJax's <mjx-container> or KaTeX's .katex, inside each .math element.
# The time is taken in a requestAnimationFrame callback: the frame that shows it.
MATH_VISIBLE_JS = """(() => {
  const typeset = m => m.querySelector('mjx-container, .katex') !== null;
  const check = () => {
    const maths = [...document.querySelectorAll('.math')];
    if (document.readyState !== 'loading' && maths.every(typeset)
        && document.fonts.status === 'loaded') {
      window.__mathVisibleMs = performance.now();
      return;
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        pass


def measure(browser, url: str, rate: int) -> dict[str, float]:
    """Load ``url`` once in a fresh context at CPU slowdown ``rate``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  service_workers="block")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    started: set[str] = set()
    transferred: dict[str, float] = {}
    cdp.on("Network.requestWillBeSent", lambda event: started.add(event["requestId"]))
    cdp.on("Network.loadingFinished",
           lambda event: transferred.__setitem__(event["requestId"],
                                                 event["encodedDataLength"]))
    cdp.on("Network.loadingFailed",
           lambda event: transferred.__setitem__(event["requestId"], 0))
    page.add_init_script(MATH_VISIBLE_JS)
    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_function("() => window.__mathVisibleMs !== undefined", timeout=120_000)
    quiet = 0  # until no request has been pending for half a second
    while quiet < 5:
        page.wait_for_timeout(100)
        quiet = quiet + 1 if started <= transferred.keys() else 0
    visible = page.evaluate("() => window.__mathVisibleMs")
    context.close()
    return {"bytes": sum(transferred.values()), "requests": len(transferred),
            "math_ms": visible}


def bench(html: Path, pages: list[str], runs: int, chromium: str) -> list[dict]:
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium,
                                                 args=CHROMIUM_ARGS, headless=True)
            for name in pages:
                row: dict = {"page": name}
                for rate in THROTTLING:
                    loads = [measure(browser, f"{base}{name}.html", rate) for _ in range(runs)]
                    row[f"math_ms_x{rate}"] = statistics.median(m["math_ms"] for m in loads)
                    row["bytes"] = statistics.median(m["bytes"] for m in loads)
                    row["requests"] = statistics.median(m["requests"] for m in loads)
                rows.append(row)
                print(f"  {name}: {row['bytes'] / 1e6:.2f} MB, {row['requests']:.0f} requests",
                      file=sys.stderr)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| page | MB | requests | math visible (ms) | with 4× CPU slowdown (ms) |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for row in rows:
        lines.append(f"| {Path(row['page']).name} | {row['bytes'] / 1e6:.2f} | "
                     f"{row['requests']:.0f} | {row['math_ms_x1']:.0f} | "
                     f"{row['math_ms_x4']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "bench-pages")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        print(f"no built book in {args.html}: build it first (make book)", file=sys.stderr)
        return 2
    rows = bench(args.html.resolve(), toc_pages(ROOT), args.runs, args.chromium)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pages.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    (args.out / "pages.md").write_text(table(rows) + "\n", encoding="utf-8")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
