"""The first code cell of every chapter, for readers who open it on Google Colab.

On Colab the cell installs what the chapter imports and Colab lacks, and nothing else:
``smgrad`` from the book's repository (with its records of what MXNet printed) and
``myst-nb`` where the chapter ``glue``s numbers into its text. Colab already has numpy
2.x, scipy, PyTorch, matplotlib, scikit-learn, mpmath and IPython (``COLAB_HAS``); a
chapter that imports a package in neither list stops this tool, so the list is kept
honest. MXNet cannot be installed there (MXNet 1.9.1 needs numpy < 1.24): each
``%%mxnet`` cell shows the output MXNet recorded in the book's pinned environment
(``smgrad.mxnet_cells``), and the chapter goes on.

Anywhere else (Binder, a clone with ``make``) the cell does nothing and prints nothing,
so nbval sees no output. It is tagged ``remove-cell``: the HTML book does not show it.
The repository's URL and branch come from ``_config.yml``, the one place that names them.

    python -m tools.colab book/NAME.ipynb ...          put the cell first (or update it)
    python -m tools.colab --check book/NAME.ipynb ...  exit 1 where it is missing or stale

Re-execute a notebook after adding the cell (``make notebooks``).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

from tools.sources import CONFIG, refresh, repository, without_magics

CELL_ID = "colab-install"
TAGS = ["remove-cell"]
MAX_COLUMNS = 80  # the book's limit for a line of code in a notebook

# What Google Colab's Python already has: never installed by the cell.
COLAB_HAS = frozenset({
    "numpy", "scipy", "torch", "matplotlib", "sklearn", "mpmath", "IPython", "ipykernel",
    "nbformat", "yaml", "pandas", "PIL",
})
# What a chapter may import that Colab lacks: import name -> (package, pip requirement).
# smgrad comes from the repository ({url}, {branch}: from _config.yml).
COLAB_LACKS = {
    "smgrad": ("smgrad", "git+{url}@{branch}"),
    "myst_nb": ("myst-nb", "myst-nb"),
}
_MAGIC_IMPORT = re.compile(r"^\s*%load_ext\s+([\w.]+)", re.M)


def imports(nb: nbformat.NotebookNode) -> set[str]:
    """Top-level package names the notebook's code imports (``import a.b`` -> ``a``),
    ``%load_ext`` extensions included. ``%%mxnet`` cells are not read: they need no
    package on Colab, where they replay their record. The Colab cell itself is skipped."""
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.get("id") == CELL_ID:
            continue
        source = cell.source
        if source.lstrip().startswith("%%"):
            continue
        names.update(m.split(".")[0] for m in _MAGIC_IMPORT.findall(source))
        try:
            tree = ast.parse(without_magics(source))
        except SyntaxError:  # a cell that shows a syntax error on purpose imports nothing
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def requirements(nb: nbformat.NotebookNode,
                 config: Path = CONFIG) -> dict[str, str]:
    """What the notebook needs on Colab (it imports it, Colab lacks it), as
    ``{package: pip requirement}``.

    Raises ``ValueError`` for an import that is in neither ``COLAB_HAS`` nor
    ``COLAB_LACKS`` (nor the standard library): add it to the right one."""
    names = imports(nb)
    unknown = sorted(names - COLAB_HAS - set(COLAB_LACKS) - set(sys.stdlib_module_names))
    if "mxnet" in unknown:
        raise ValueError("the notebook imports mxnet outside a %%mxnet cell: Colab cannot "
                         "install it (put that code in a %%mxnet cell)")
    if unknown:
        raise ValueError(f"the notebook imports {', '.join(unknown)}: add each to COLAB_HAS "
                         f"(Colab has it) or COLAB_LACKS (the cell installs it) in tools/colab.py")
    return _requirements([name for name in COLAB_LACKS if name in names], config)


def _requirements(names: list[str], config: Path) -> dict[str, str]:
    url, branch = repository(config)
    return {COLAB_LACKS[name][0]: COLAB_LACKS[name][1].format(url=url, branch=branch)
            for name in names}


def cell_source(config: Path = CONFIG,
                packages: dict[str, str] | None = None) -> str:
    """The source of the Colab cell that installs ``packages`` (``{package: pip
    requirement}``; default: everything in ``COLAB_LACKS``, which every chapter needs).
    Raises ``ValueError`` if a line would pass 80 columns."""
    if packages is None:
        packages = _requirements(list(COLAB_LACKS), config)
    lines = [
        "# On Google Colab only: install what this chapter needs and Colab lacks",
        f"# ({', '.join(packages)}). Anywhere else this cell does nothing.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        "    import subprocess",
        "",
        '    pip = [sys.executable, "-m", "pip", "install", "--quiet"]',
        "    subprocess.run(pip + [",
        *(f'        "{requirement}",' for requirement in packages.values()),
        "    ], check=True)",
    ]
    too_long = [line for line in lines if len(line) > MAX_COLUMNS]
    if too_long:
        raise ValueError(f"the Colab cell has lines over {MAX_COLUMNS} columns: {too_long}")
    return "\n".join(lines)


def notebook_cell_source(nb: nbformat.NotebookNode,
                         config: Path = CONFIG) -> str | None:
    """The Colab cell ``nb`` needs, or ``None`` where it needs nothing installed."""
    packages = requirements(nb, config)
    return cell_source(config, packages) if packages else None


def first_code_cell(nb: nbformat.NotebookNode) -> int | None:
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)


def is_current(nb: nbformat.NotebookNode, config: Path = CONFIG) -> bool:
    """Whether the notebook's first code cell is the Colab cell it needs, up to date and
    without output. A notebook with no code cell, or that needs nothing installed,
    needs none (and then must not have one)."""
    return _has_cell(nb, notebook_cell_source(nb, config))


def _has_cell(nb: nbformat.NotebookNode, wanted: str | None) -> bool:
    """Whether the first code cell is the Colab cell ``wanted``, or, where ``wanted`` is
    ``None`` (no cell wanted), is not a Colab cell."""
    index = first_code_cell(nb)
    if index is None:
        return True
    cell = nb.cells[index]
    if wanted is None:
        return cell.get("id") != CELL_ID
    return (cell.source == wanted and not cell.get("outputs")
            and set(TAGS) <= set(cell.metadata.get("tags", [])))


def add_cell(path: Path, config: Path = CONFIG) -> bool:
    """Put the Colab cell the notebook ``path`` needs before its first code cell (or
    update it there; or drop it where the notebook needs nothing installed). Returns
    whether the file changed."""
    nb = nbformat.read(path, as_version=4)
    wanted = notebook_cell_source(nb, config)
    if _has_cell(nb, wanted):
        return False
    index = first_code_cell(nb)
    if wanted is None:  # a Colab cell that is no longer needed
        del nb.cells[index]
        nbformat.write(nb, path)
        return True
    cell = nbformat.v4.new_code_cell(wanted, metadata={"tags": list(TAGS)})
    if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
        cell.id = CELL_ID
    else:  # cell ids came with nbformat 4.5
        cell.pop("id", None)
    if nb.cells[index].get("id") == CELL_ID:
        nb.cells[index] = cell
    else:
        nb.cells.insert(index, cell)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook lacks the current cell")
    args = parser.parse_args(argv)
    return refresh(args.notebooks, _is_stale, _update, _stale_message, check=args.check)


def _is_stale(path: Path) -> bool:
    return not is_current(nbformat.read(path, as_version=4))


def _update(path: Path) -> str:
    add_cell(path)
    return f"{path}: Colab cell added or updated"


def _stale_message(path: Path) -> str:
    return (f"{path}: its first code cell is not the current Colab cell "
            f"(run: python -m tools.colab {path})")


if __name__ == "__main__":
    sys.exit(main())
