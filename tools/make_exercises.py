"""Make the learner edition: ``exercises/<chapter>.ipynb`` from ``book/<chapter>.ipynb``.

The learner edition is the whole chapter, so every variable an exercise uses is there,
with each exercise's solution taken out:

* the solution's explanation (from ``{solution-start}`` to ``{solution-end}``) is dropped;
* each solution code cell becomes a stub: ``name = ...`` for every name the check cell
  reads, ``def f(args):`` with the body ``...`` for every function it calls, and for an
  answer class (a custom autograd Function) the class with each method's body ``...``;
* hints stay (as a collapsed ``<details>`` block: Jupyter and Colab show no MyST);
* the check cells stay: they call :mod:`smgrad.feedback`, which says "not attempted
  yet" for a stub, names the mistake for a known wrong answer, and "right" when it is;
* every output is cleared.

The learner edition is never edited by hand: ``make exercises`` writes it, and
``tests/learner`` regenerates it and fails on any difference from what is committed.

    python -m tools.make_exercises                 write exercises/ for every chapter
    python -m tools.make_exercises --check         exit 1 where exercises/ is stale
    python -m tools.make_exercises --links         (re)write each chapter's link cell

``--links`` puts, right after each chapter's "## Exercises" heading, a markdown cell that
opens the chapter's learner edition on Binder and on Colab (the repository's address and
branch come from ``_config.yml``). Re-execute nothing: the cell is markdown.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import nbformat

import tools.sources
from tools.sources import CONFIG, ROOT, refresh, without_magics

BOOK = ROOT / "book"
OUT = ROOT / "exercises"
LINK_CELL_ID = "learner-edition-links"
STUB_MARK = "...  # your code here"

# A MyST directive fence: ``` or ```` or ::: (colon_fence), then {name}.
_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w-]+)\}(?P<arg>[^\n]*)$", re.M)


# ---------------------------------------------------------------------------------------
# Markdown: find the solution, turn MyST directives into what Jupyter shows.


def _directive_end(text: str, start: int, fence: str) -> int:
    """Index just past the line that closes the directive opened at ``start``."""
    body_start = text.index("\n", start) + 1 if "\n" in text[start:] else len(text)
    closing = re.compile(rf"^{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.M)
    match = closing.search(text, body_start)
    return len(text) if match is None else match.end()


def _directive_body(raw: str) -> tuple[dict[str, str], str]:
    """Split a directive's inside into its ``:option: value`` lines and its body."""
    options, lines = {}, raw.split("\n")
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        key, _, value = lines.pop(0)[1:].partition(":")
        options[key.strip()] = value.strip()
    return options, "\n".join(lines).strip("\n")


def learner_markdown(text: str) -> str:
    """The markdown a learner sees: ``{exercise}`` as a heading, ``{hint}`` collapsed.

    Other directives are left alone (Jupyter shows them as code blocks, which is what a
    reader of the raw notebook sees today)."""
    out, pos = [], 0
    for match in _FENCE.finditer(text):
        if match.start() < pos:
            continue
        name = match.group("name")
        if name not in ("exercise", "hint"):
            continue
        end = _directive_end(text, match.start(), match.group("fence"))
        inside = text[match.end() + 1:end]
        inside = inside[: inside.rfind("\n")] if "\n" in inside else ""
        options, body = _directive_body(inside)
        out.append(text[pos:match.start()])
        if name == "exercise":
            label = options.get("label", "").strip()
            title = match.group("arg").strip()
            heading = " ".join(p for p in ("Exercise", label, title and f"({title})") if p)
            out.append(f"**{heading}.**\n\n{body}")
        else:  # a hint that opens with "**A nudge.**" is summarised by those words
            title = re.match(r"\*\*([^*\n]+?)\.\*\*\s*", body)
            summary, body = (title.group(1), body[title.end():]) if title else ("Hint", body)
            out.append(f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>")
        pos = end
    out.append(text[pos:])
    return "".join(out)


@dataclass
class _Split:
    before: str                      # text before {solution-start} (or all of it)
    after: Optional[str] = None      # text after {solution-end}, where it is in this cell
    starts: bool = False             # the cell opens a solution
    ends: bool = False               # the cell closes one


def _split(text: str) -> _Split:
    start = next((m for m in _FENCE.finditer(text) if m.group("name") == "solution-start"),
                 None)
    end = next((m for m in _FENCE.finditer(text) if m.group("name") == "solution-end"), None)
    split = _Split(before=text)
    if start is not None:
        split.starts, split.before = True, text[:start.start()]
    if end is not None:
        split.ends = True
        split.after = text[_directive_end(text, end.start(), end.group("fence")):]
        if start is None:
            split.before = ""
    return split


# ---------------------------------------------------------------------------------------
# Code: the stub of a solution cell.


def names_read(sources: Iterable[str]) -> set[str]:
    """Every name that ``sources`` (check cells) read."""
    names: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(without_magics(source))
        except SyntaxError:
            continue
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Load)}
    return names


def stub(source: str, needed: set[str], label: str) -> str:
    """The learner's stub for a solution cell: each answer name the check cell reads,
    assigned ``...``; each answer function with its signature and the body ``...``;
    each answer class with its methods' signatures, each body ``...``.
    Names assigned anywhere in the cell count (inside a ``with`` or ``for`` too), except
    inside functions; everything else in the cell (the solution) is left out."""
    tree = ast.parse(without_magics(source))
    lines: list[str] = []
    for kind, name, node in _definitions(tree):
        if name not in needed or any(name == n for _, n, _ in lines):
            continue
        if kind == "def":
            text = f"\ndef {name}({ast.unparse(node.args)}):\n    {STUB_MARK}\n"
        elif kind == "class":
            text = f"\n{_class_stub(node)}\n"
        else:
            text = f"{name} = {STUB_MARK}"
        lines.append((kind, name, text))
    body = "\n".join(text for _, _, text in lines).strip("\n")
    header = (f"# Exercise {label}: your answer. Replace each `...` with your code, "
              f"then run\n# the check cell below.")
    return f"{header}\n{body}" if body else f"{header}\n# your code here"


def _class_stub(node: ast.ClassDef) -> str:
    """An answer class (a ``torch.autograd.Function``): its bases, and each method with
    its decorators and signature, the body ``...``."""
    bases = ", ".join(ast.unparse(b) for b in node.bases)
    lines = [f"class {node.name}({bases}):"]
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines += [""] * (len(lines) > 1)
            lines += [f"    @{ast.unparse(d)}" for d in item.decorator_list]
            lines += [f"    def {item.name}({ast.unparse(item.args)}):", f"        {STUB_MARK}"]
    return "\n".join(lines)


def _definitions(tree: ast.AST):
    """``(kind, name, node)`` for each function defined and each name assigned, in order
    of appearance, not looking inside functions, classes, lambdas or comprehensions."""
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
              ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

    def visit(node: ast.AST):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield "def", child.name, child
            elif isinstance(child, ast.ClassDef):
                yield "class", child.name, child
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                yield "name", child.id, child
            if not isinstance(child, scopes):
                yield from visit(child)

    return sorted(visit(tree), key=lambda d: (d[2].lineno, d[2].col_offset))


# ---------------------------------------------------------------------------------------
# The notebook.


@dataclass
class Exercise:
    """One exercise of a chapter, as the generator found it (used by tests/learner)."""

    label: str
    solution_cells: list[str] = field(default_factory=list)   # cell ids in the book
    check_cells: list[str] = field(default_factory=list)


_LABEL = re.compile(r"\{solution-start\}\s*(\S+)")


def _label_of(text: str) -> str:
    match = _LABEL.search(text)
    return match.group(1) if match else "?"


def exercises(nb: nbformat.NotebookNode) -> list[Exercise]:
    """The exercises of a book notebook, with the ids of their solution and check cells."""
    found: list[Exercise] = []
    state = "text"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            split = _split(cell.source)
            if split.starts:
                found.append(Exercise(_label_of(cell.source)))
                state = "solution"
            if split.ends:
                state = "check"
            elif not split.starts and state == "check":
                state = "text"
        elif cell.cell_type == "code" and found:
            if state == "solution":
                found[-1].solution_cells.append(cell.id)
            elif state == "check":
                found[-1].check_cells.append(cell.id)
    return found


def has_exercises(nb: nbformat.NotebookNode) -> bool:
    return bool(exercises(nb))


def learner_edition(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The learner edition of a book notebook (see the module docstring)."""
    book = {cell.id: cell for cell in nb.cells}
    plan = exercises(nb)
    stubs: dict[str, str] = {}
    for exercise in plan:
        needed = names_read(book[i].source for i in exercise.check_cells)
        for cell_id in exercise.solution_cells:
            stubs[cell_id] = stub(book[cell_id].source, needed, exercise.label)
    out = copy.deepcopy(nb)
    cells = []
    in_solution = False
    for cell in out.cells:
        if cell.get("id") == LINK_CELL_ID:
            cell.source = _edition_note()
        if cell.cell_type == "markdown":
            split = _split(cell.source)
            if in_solution and not split.ends:
                continue  # the solution's explanation
            text = split.after if split.ends else split.before
            in_solution = split.starts and not split.ends
            if split.starts and split.ends:  # a solution that opens and closes here
                text = split.before + (split.after or "")
            text = learner_markdown(text or "").strip("\n")
            if split.starts:
                text = (text + "\n\n" if text else "") + "**Your turn:** fill in the next cell."
            if text:
                cell.source = text
                cells.append(cell)
            continue
        if cell.cell_type == "code":
            if cell.get("id") in stubs:
                cell.source = stubs[cell.id]
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("smgrad", None)
            cell.metadata.pop("execution", None)
        cells.append(cell)
    out.cells = cells
    out.metadata.pop("widgets", None)
    return out


# ---------------------------------------------------------------------------------------
# Links from each chapter page to its learner edition.


def launch_urls(chapter: str, config: Path = CONFIG) -> dict[str, str]:
    """Binder and Colab addresses of ``exercises/<chapter>.ipynb``."""
    return tools.sources.launch_urls(f"exercises/{chapter}.ipynb", config)


def link_cell_source(chapter: str) -> str:
    urls = launch_urls(chapter)
    return (f"**Practise them** in this chapter's learner edition, with feedback from "
            f"`smgrad` after each answer: open it on [Binder]({urls['Binder']}) or "
            f"[Colab]({urls['Colab']}), or open `exercises/{chapter}.ipynb` in your clone.")


def _edition_note() -> str:
    return ("This is the **learner edition**: each exercise below has an empty answer cell "
            "for you to fill, and a check cell that tells you whether your answer is "
            "right (it never shows the solution). The book's chapter has the solutions.")


def add_links(nb: nbformat.NotebookNode, chapter: str) -> bool:
    """Put (or update) the link cell right after the "## Exercises" heading."""
    source = link_cell_source(chapter)
    index = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                  and re.search(r"^## Exercises\s*$", c.source, re.M)), None)
    if index is None:
        return False
    existing = next((i for i, c in enumerate(nb.cells) if c.get("id") == LINK_CELL_ID), None)
    if existing is not None:
        if nb.cells[existing].source == source and existing == index + 1:
            return False
        nb.cells.pop(existing)
        index = index - 1 if existing < index else index
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = LINK_CELL_ID
    nb.cells.insert(index + 1, cell)
    return True


# ---------------------------------------------------------------------------------------


def chapters(book: Path = BOOK) -> list[Path]:
    return sorted(p for p in book.glob("*.ipynb") if has_exercises(nbformat.read(p, 4)))


def render(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    edition = learner_edition(nb)
    nbformat.validate(edition)
    return nbformat.writes(edition) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 where exercises/ is stale")
    parser.add_argument("--links", action="store_true",
                        help="(re)write each chapter's learner-edition link cell")
    args = parser.parse_args(argv)
    paths = chapters()
    if args.links:
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            if add_links(nb, path.stem):
                nbformat.write(nb, path)
                print(f"{path.relative_to(ROOT)}: link cell added or updated")
        return 0
    wanted = {OUT / path.name: render(path) for path in paths}
    extra = sorted(set(OUT.glob("*.ipynb")) - set(wanted))
    return refresh([*wanted, *extra], check=args.check,
                   is_stale=lambda target: _text(target) != wanted.get(target),
                   update=lambda target: _update(target, wanted.get(target)),
                   stale_message=lambda target: (
                       f"{target.relative_to(ROOT)} is not what `make exercises` makes "
                       f"from book/: run `make exercises`"))


def _text(target: Path) -> Optional[str]:
    """The file's text, ``None`` where it does not exist."""
    return target.read_text(encoding="utf-8") if target.exists() else None


def _update(target: Path, text: Optional[str]) -> str:
    """Write ``text`` to ``target``, or remove it where ``text`` is ``None``."""
    if text is None:
        target.unlink()
        return f"removed {target.relative_to(ROOT)} (its chapter has no exercises)"
    OUT.mkdir(exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return f"wrote {target.relative_to(ROOT)}"


if __name__ == "__main__":
    sys.exit(main())
