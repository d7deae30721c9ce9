"""Execute notebooks in place, top to bottom, each in a fresh kernel (`make notebooks`).

Run it after editing a chapter: the stored outputs are what the HTML book shows and what
nbval re-computes in `make test`, so they must come from a clean run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=600, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    _trim_tracebacks(nb)
    nbformat.write(nb, path)
    print(f"executed {path}")


def _trim_tracebacks(nb) -> None:
    """Keep only the last line of an intended error (``raises-exception`` cells).

    The frames above it name files inside the environment (local paths); the reader
    needs the error's type and message, which nbval compares anyway.
    """
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [f"{out['ename']}: {out['evalue']}"]


if __name__ == "__main__":
    for name in sys.argv[1:]:
        execute(Path(name))
