"""The book's math, typeset by KaTeX when the book is built (sphinxcontrib-katex, with
``katex_prerender``): the HTML holds the typeset math, with KaTeX's MathML beside it for
screen readers, before any script runs, and the page loads no math script at all.

``make`` installs the npm package ``katex`` into ``.katex/`` (git-ignored):
``.katex/katex.min.js`` is run by node while the book is built, and
``.katex/html/_static/katex/`` (its CSS and fonts) is copied into the book by
``html_extra_path``, so the math shows with no network.

This extension points sphinxcontrib-katex at that copy of KaTeX (its default is a URL),
turns an expression KaTeX cannot render into a build warning (an error under ``-W``)
that quotes the TeX, where sphinxcontrib-katex would print it in red on the page, and
connects to KaTeX's render server once it listens (sphinxcontrib-katex 0.9.11 connects
as soon as the socket file exists, and fails now and then on a busy machine).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from subprocess import PIPE, Popen

from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)
KATEX_DIR = ".katex"


def _use_local_katex(app, config) -> None:
    root = Path(app.confdir)
    renderer = root / KATEX_DIR / "katex.min.js"
    stylesheet = root / KATEX_DIR / "html" / "_static" / "katex" / "katex.min.css"
    for needed in (renderer, stylesheet):
        if not needed.is_file():
            raise ConfigError(f"{needed} is missing: `make book` installs KaTeX with npm "
                              f"into {KATEX_DIR}/ (see the Makefile's KATEX_STAMP)")
    config.katex_js_path = str(renderer)
    config.katex_css_path = "katex/katex.min.css"
    config.katex_prerender = True


def _checked(render):
    from sphinxcontrib.katex import KaTeXError

    def render_latex(latex: str, options: dict | None = None) -> str:
        try:
            return render(latex, {**(options or {}), "throwOnError": True})
        except KaTeXError as error:
            logger.warning("KaTeX cannot render %r: %s", latex, error,
                           type="katex", subtype="render")
            return render(latex, options)

    return render_latex


def _start_server_process(cls, rundir: Path, timeout: float):
    """Start KaTeX's render server and connect to its socket once it accepts."""
    path = rundir / "katex.sock"
    process = Popen(cls.build_command(socket=path), stdin=PIPE, stdout=PIPE, cwd=rundir)
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(path))
            return process, sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise cls.timeout_error(timeout) from None
            time.sleep(0.01)


def setup(app) -> dict:
    import sphinxcontrib.katex as katex

    app.setup_extension("sphinxcontrib.katex")
    if not getattr(katex.render_latex, "_checked", False):
        katex.render_latex = _checked(katex.render_latex)
        katex.render_latex._checked = True
        katex.KaTeXServer.start_server_process = classmethod(_start_server_process)
        # Seconds; 5 by default, short for a machine busy with other builds.
        katex.STARTUP_TIMEOUT = katex.RENDER_TIMEOUT = 60.0
    app.connect("config-inited", _use_local_katex, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
