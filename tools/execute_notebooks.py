"""Execute notebooks in place, top to bottom, each in a fresh kernel (`make notebooks`).

Run it after editing a chapter: the stored outputs are what the HTML book shows and what
nbval re-computes in `make test`, so they must come from a clean run.
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=600, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.monotonic()
    client.execute()
    _trim_tracebacks(nb)
    nbformat.write(nb, path)
    record_execution(path, time.monotonic() - started)
    print(f"executed {path}")


RECORDED = ("numpy", "torch", "mxnet", "smgrad")


def record_execution(path: Path, seconds: float) -> None:
    """Note when ``path`` was executed, how long it took and in which environment, in
    ``execution.json`` beside it (the book's execution report page shows it)."""
    record_path = path.parent / "execution.json"
    records = json.loads(record_path.read_text()) if record_path.is_file() else {}
    packages = {}
    for name in RECORDED:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    records[path.name] = {
        "executed": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "seconds": round(seconds, 1), "python": platform.python_version(),
        "packages": packages}
    record_path.write_text(json.dumps(dict(sorted(records.items())), indent=1) + "\n")


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
