"""What a course reader expects on every page, and the book's pages made from the
repository's own records (no network at build time).

* The navigation's expand/collapse toggles have a name (for screen readers).
* Each page's "Last updated" date (the theme's footer) is the date of the last commit
  that changed its source (``git log``); a page git does not know (a new file, or no
  git) gets the build's date.
* The download menu of every page offers the whole book as a PDF (``book.pdf`` beside
  ``index.html``, written by ``make pdf``), besides the page's own source.
* ``{cff-citation}``: "cite this book" from ``CITATION.cff``, as BibTeX and as APA.
* ``{execution-report}``: every notebook of the toc, when it was last executed and how
  long it took (``book/execution.json``, written by ``tools/execute_notebooks.py``), and
  the pinned environment (``requirements.txt``).
"""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

logger = logging.getLogger(__name__)
EXECUTION_RECORD = "book/execution.json"
PINNED = ("numpy", "torch", "mxnet", "matplotlib", "jupyter-book", "nbval", "nbclient")


def _git_date(root: Path, source: Path) -> str | None:
    try:
        result = subprocess.run(["git", "log", "-1", "--format=%cs", "--", str(source)],
                                cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def _labelled_toggles(generate):
    """The theme's navigation, with a name on each chapter's expand/collapse toggle (a
    <summary> that holds only an icon: axe's summary-name)."""
    def generate_toctree_html(*args, **kwargs):
        from markupsafe import Markup

        html = str(generate(*args, **kwargs))
        return Markup(html.replace("<summary>", '<summary aria-label="Sections">'))

    return generate_toctree_html


def _page_context(app, pagename, templatename, context, doctree) -> None:
    if "generate_toctree_html" in context:
        context["generate_toctree_html"] = _labelled_toggles(context["generate_toctree_html"])
    if doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    root = Path(app.confdir)
    context["last_updated"] = (_git_date(root, source)
                               or datetime.date.today().isoformat())
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].append({
                "type": "link", "url": context["pathto"]("book.pdf", 1),
                "text": "the whole book (.pdf)", "icon": "fas fa-file-pdf",
                "tooltip": "Download the whole book as one PDF",
                "label": "download-book-pdf-button"})


def _literal(text: str, language: str) -> nodes.literal_block:
    block = nodes.literal_block(text, text)
    block["language"] = language
    return block


def citation_texts(cff: dict) -> tuple[str, str]:
    """BibTeX and APA (7th edition) for the book, from CITATION.cff."""
    authors = [a.get("name") or f"{a.get('family-names', '')}, {a.get('given-names', '')}"
               for a in cff.get("authors", [])]
    year = str(cff.get("date-released", ""))[:4] or "n.d."
    title, version, url = cff["title"], cff.get("version", ""), cff.get("url", "")
    bibtex = (f"@software{{smgrad_{year.replace('.', '')},\n"
              f"  author  = {{{{{' and '.join(authors)}}}}},\n"
              f"  title   = {{{title}}},\n"
              f"  version = {{{version}}},\n"
              f"  year    = {{{year}}},\n"
              f"  url     = {{{url}}},\n}}")
    apa = f"{', '.join(authors)}. ({year}). {title} (Version {version}) [Computer software]. {url}"
    return bibtex, apa


class CffCitation(Directive):
    """BibTeX and APA citations of the book, from the repository's CITATION.cff."""

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        path = Path(env.app.confdir) / "CITATION.cff"
        env.note_dependency(str(path))
        bibtex, apa = citation_texts(yaml.safe_load(path.read_text(encoding="utf-8")))
        return [nodes.rubric(text="BibTeX"), _literal(bibtex, "bibtex"),
                nodes.rubric(text="APA"), nodes.paragraph(text=apa)]


def _row(cells: list[str]) -> nodes.row:
    row = nodes.row()
    for text in cells:
        row += nodes.entry("", nodes.paragraph(text=text))
    return row


def _table(header: list[str], rows: list[list[str]]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    group += [nodes.colspec(colwidth=1) for _ in header]
    head = nodes.thead()
    head += _row(header)
    body = nodes.tbody()
    body += [_row(r) for r in rows]
    group += [head, body]
    return table


def _notebooks(env) -> list[str]:
    """The book's notebooks (only those of the toc are built), by file name: the
    chapters' order."""
    root = Path(env.app.confdir)
    paths = (Path(env.doc2path(doc)) for doc in env.found_docs)
    return sorted(p.relative_to(root).as_posix() for p in paths if p.suffix == ".ipynb")


def _pins(root: Path) -> list[str]:
    lines = (root / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines
            if line.split("==")[0].strip().lower() in PINNED]


class ExecutionReport(Directive):
    """A table of the toc's notebooks: last executed, seconds, Python and packages."""

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        root = Path(env.app.confdir)
        record_path = root / EXECUTION_RECORD
        env.note_dependency(str(record_path))
        env.note_dependency(str(root / "requirements.txt"))
        records = (json.loads(record_path.read_text(encoding="utf-8"))
                   if record_path.is_file() else {})
        rows = []
        for notebook in _notebooks(env):
            record = records.get(Path(notebook).name)
            if record is None:
                rows.append([notebook, "not recorded (run make notebooks)", "", ""])
                continue
            versions = ", ".join(f"{k} {v}" for k, v in record.get("packages", {}).items())
            rows.append([notebook, record["executed"], f"{record['seconds']:.0f} s",
                         f"Python {record.get('python', '?')}; {versions}"])
        table = _table(["notebook", "last executed (UTC)", "took", "environment"], rows)
        pins = nodes.bullet_list()
        pins += [nodes.list_item("", nodes.paragraph("", "", nodes.literal(text=pin)))
                 for pin in _pins(root)]
        return [table, nodes.paragraph(text="The pinned environment (requirements.txt):"),
                pins]


def setup(app) -> dict:
    app.connect("html-page-context", _page_context, priority=900)
    app.add_directive("cff-citation", CffCitation)
    app.add_directive("execution-report", ExecutionReport)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
