"""Run notebooks top to bottom without MXNet, as on Colab (``make test-no-mxnet``).

Each notebook runs in a fresh kernel of *this* Python (``.venv-np2``: numpy 2.x, which
MXNet 1.9.1 cannot run with), on a copy in memory: no notebook is written. A cell that
raises fails the run, unless it carries the ``raises-exception`` tag (an error shown on
purpose). Outputs are not compared: nbval compares them in the book's pinned
environment. There, every ``%%mxnet`` cell shows MXNet's recorded output instead of
running (``smgrad.mxnet_cells``), so a missing record fails here too.

    python -m tools.run_without_mxnet book/*.ipynb exercises/*.ipynb

Exit status: 0 when every notebook ran; 1 when one raised (each failure is named with
its cell and error); 2 when there is nothing to run, or when MXNet can be imported here
(the run would then prove nothing about a reader without it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNEL = "smgrad-this-python"  # a kernel spec made on the fly: this interpreter, no other
INTENDED_ERROR_TAG = "raises-exception"


def _kernel_spec_dir(root: Path) -> None:
    """Write a kernel spec for this interpreter under ``root/kernels`` (found first via
    ``JUPYTER_PATH``), so no kernel of another environment can be picked up."""
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--log-level=ERROR"],  # not its TCP notice on every start
        "display_name": f"Python ({sys.executable})",
        "language": "python",
    }), encoding="utf-8")


def _failed_cell(nb: nbformat.NotebookNode) -> str:
    """``cell N (id ...)`` of the first error output in an untagged cell."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or INTENDED_ERROR_TAG in cell.metadata.get("tags", []):
            continue
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            first = cell.source.splitlines()[0] if cell.source else ""
            return f"cell {index} (id {cell.get('id', '?')}, {first[:60]!r})"
    return "a cell"


def run(path: Path, timeout: int = 600) -> str | None:
    """Execute a copy of ``path``; ``None`` when it ran, else what failed."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=timeout, record_timing=False,
                            allow_errors=False,
                            resources={"metadata": {"path": str(path.resolve().parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        return f"{_failed_cell(nb)}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # a dead kernel, a timeout
        return f"{type(exc).__name__}: {exc}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    if not args.notebooks:
        print("no notebook to run", file=sys.stderr)
        return 2
    if importlib.util.find_spec("mxnet") is not None:
        print(f"MXNet can be imported by {sys.executable}: run this in an environment "
              "without it (make test-no-mxnet uses .venv-np2)", file=sys.stderr)
        return 2
    os.environ.pop("SMGRAD_RECORD_MXNET", None)  # the kernel inherits this environment
    failures = []
    with tempfile.TemporaryDirectory() as jupyter_dir:
        _kernel_spec_dir(Path(jupyter_dir))
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [jupyter_dir, os.environ.get("JUPYTER_PATH")]))
        for path in args.notebooks:
            start = time.perf_counter()
            failure = run(path, args.timeout)
            seconds = time.perf_counter() - start
            if failure is None:
                print(f"ran    {path} ({seconds:.0f} s)", flush=True)
            else:
                failures.append(path)
                print(f"FAILED {path}: {failure}", flush=True)
    ran = len(args.notebooks) - len(failures)
    print(f"{ran} notebooks ran without MXNet, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
