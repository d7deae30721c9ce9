"""MXNet cells that run everywhere: live where MXNet is installed, from a record elsewhere.

MXNet 1.9.1 needs numpy < 1.24, so it cannot be installed where numpy 2 is (Google
Colab, a current laptop). A chapter's MXNet code goes in a cell that starts with the
``%%mxnet`` magic::

    %load_ext smgrad.mxnet_cells          # once, in the setup cell

    %%mxnet ch1_zero_gradient --keep grad32
    a = mx.nd.array([[[[0.1]], [[2.0]]]])
    ...
    grad32 = a.grad.asnumpy()
    print(grad32)

* **MXNet installed** (the book's pinned environment): the cell runs as written, with
  ``mx`` imported and MXNet's DeprecationWarnings hidden. What it printed, and the numpy
  arrays named by ``--keep``, are compared with the record of the same name; a
  difference is an error (the record is stale), so nbval's run of the chapter is the
  test that the record equals a live MXNet run. ``SMGRAD_RECORD_MXNET=1`` rewrites the
  record instead (``make record-mxnet``).
* **MXNet missing**: the cell says so, prints what MXNet printed in the pinned
  environment, and puts the ``--keep`` arrays into the notebook's namespace, so the
  chapter goes on.

A cell's last expression is not displayed: print what the reader should see. An error
raised by the cell is recorded too (for a cell that fails on purpose) and shown, not
raised, where MXNet is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ._compare import compare

__all__ = ["run_cell", "MXNetRecordError", "RECORDS", "load_ipython_extension"]

RECORDS = Path(__file__).with_name("mxnet_records")  # one NAME.json per cell
RECORD_ENV = "SMGRAD_RECORD_MXNET"
MISSING_NOTE = ("MXNet is not installed in this environment (MXNet 1.9.1 needs\n"
                "numpy < 1.24). What this cell printed with MXNet 1.9.1 in the book's\n"
                "pinned environment:")


class MXNetRecordError(RuntimeError):
    """A live MXNet run disagrees with its record, or a record is missing."""


@dataclass(frozen=True)
class _Options:
    name: str
    keep: tuple[str, ...]


def _parse(line: str) -> _Options:
    parser = argparse.ArgumentParser(prog="%%mxnet", add_help=False)
    parser.add_argument("name")
    parser.add_argument("--keep", default="")
    try:
        args = parser.parse_args(shlex.split(line))
    except SystemExit:
        raise ValueError(f"%%mxnet {line!r}: expected '%%mxnet NAME [--keep a,b]'") from None
    return _Options(args.name, tuple(k for k in args.keep.split(",") if k))


class _Tee(io.StringIO):
    """Collects what is printed, and passes it on to the real output."""

    def __init__(self, target) -> None:
        super().__init__()
        self._target = target

    def write(self, text: str) -> int:
        self._target.write(text)
        return super().write(text)

    def flush(self) -> None:
        self._target.flush()


def _encode(value: object, name: str) -> dict:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"--keep {name}: {name} is a {type(value).__name__}; keep numpy "
                        f"arrays only (call .asnumpy() on an MXNet array)")
    return {"dtype": str(value.dtype), "shape": list(value.shape),
            "data": value.astype(np.float64).ravel().tolist()}


def _decode(entry: dict) -> np.ndarray:
    return np.array(entry["data"], dtype=np.float64).astype(entry["dtype"]).reshape(
        entry["shape"])


#: Units in the last place by which a live run's kept array may differ from its record.
RECORD_ULPS = 8


def record_tolerance(dtype: object) -> tuple[float, float]:
    """``(rtol, atol)`` within which a live run reproduces its record: ``RECORD_ULPS``
    units in the last place of a float ``dtype`` (float32 ``exp`` differs in the last
    bit between CPUs), exactly for any other. Far tighter than
    :func:`smgrad._compare.tolerance`, which judges a result against the right one:
    here the same code runs on the same inputs.

    >>> import numpy as np
    >>> [f"{t:.1e}" for t in record_tolerance(np.float32)]
    ['9.5e-07', '9.5e-07']
    >>> record_tolerance(np.int64)
    (0.0, 0.0)
    """
    dtype = np.dtype(dtype)
    tol = RECORD_ULPS * float(np.finfo(dtype).eps) if dtype.kind == "f" else 0.0
    return tol, tol


def _same(live: dict, recorded: dict) -> bool:
    """Same printout exactly (it is CPU-stable: nbval compares it too); kept arrays of
    the same dtype and shape, equal within :func:`record_tolerance` (NaN where NaN)."""
    if live.get("stdout") != recorded.get("stdout") or live.get("error") != recorded.get("error"):
        return False
    if set(live.get("keep", {})) != set(recorded.get("keep", {})):
        return False
    return all(_same_array(_decode(entry), _decode(recorded["keep"][name]))
               for name, entry in live.get("keep", {}).items())


def _same_array(live: np.ndarray, recorded: np.ndarray) -> bool:
    if live.dtype != recorded.dtype or live.shape != recorded.shape:
        return False
    rtol, atol = record_tolerance(live.dtype)
    return compare(live, recorded, rtol, atol, equal_nan=True).ok


def _load(folder: Path, name: str) -> Optional[dict]:
    path = folder / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _save(folder: Path, name: str, entry: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(entry, indent=1, sort_keys=True) + "\n",
                                         encoding="utf-8")


def _import_mxnet():
    from .frameworks import import_mxnet
    try:
        return import_mxnet()
    except ImportError:
        return None


def run_cell(line: str, source: str, namespace: dict, *, records: Path = RECORDS,
             mxnet: Optional[Callable[[], object]] = _import_mxnet,
             record: Optional[bool] = None) -> None:
    """Run the body of a ``%%mxnet`` cell (see the module docstring).

    Args:
        line: the magic's arguments, ``NAME [--keep a,b]``.
        source: the cell's code.
        namespace: the notebook's variables (``get_ipython().user_ns``).
        records: the folder of records, one ``NAME.json`` per cell.
        mxnet: returns the ``mxnet`` module, or ``None`` where it is not installed.
        record: rewrite the record from this live run; default: ``$SMGRAD_RECORD_MXNET``.
    """
    options = _parse(line)
    mx = mxnet()
    if mx is None:
        _replay(options, namespace, _load(records, options.name))
        return
    live, error = _run_live(mx, options, source, namespace)
    if record if record is not None else os.environ.get(RECORD_ENV) == "1":
        _save(records, options.name, live)
    else:
        _check_record(options.name, live, _load(records, options.name))
    if error is not None:
        raise error  # the cell's own error, once its run is recorded or checked


def _run_live(mx: object, options: _Options, source: str,
              namespace: dict) -> tuple[dict, Optional[Exception]]:
    """Run the cell with ``mx`` defined and MXNet quiet, printing as it goes.

    Returns the record of this run (what it printed, its error, the ``--keep`` arrays)
    and the error it raised, or ``None``."""
    from .frameworks import quiet_mxnet

    namespace["mx"] = mx
    tee = _Tee(sys.stdout)
    error: Optional[Exception] = None
    with contextlib.redirect_stdout(tee), quiet_mxnet():
        try:
            exec(compile(source, f"<%%mxnet {options.name}>", "exec"), namespace)
        except Exception as exc:  # part of the record; run_cell raises it again
            error = exc
    live = {"stdout": tee.getvalue(),
            "error": None if error is None else f"{type(error).__name__}: {error}",
            "keep": {} if error else {k: _encode(namespace.get(k), k) for k in options.keep}}
    return live, error


def _check_record(name: str, live: dict, recorded: Optional[dict]) -> None:
    """Raise :class:`MXNetRecordError` unless ``recorded`` is the record of ``live``."""
    if recorded is None:
        raise MXNetRecordError(f"no record of the MXNet cell {name!r}: run "
                               f"`make record-mxnet` to make one")
    if not _same(live, recorded):
        raise MXNetRecordError(f"the record of the MXNet cell {name!r} differs from "
                               f"this live MXNet run: re-record it with `make record-mxnet`")


def _replay(options: _Options, namespace: dict, entry: Optional[dict]) -> None:
    if entry is None:
        raise MXNetRecordError(f"MXNet is not installed here, and the book has no record "
                               f"of the MXNet cell {options.name!r}")
    print(MISSING_NOTE)
    print(entry["stdout"], end="")
    if entry.get("error"):
        print(f"(and then MXNet raised {entry['error']})")
    for name, value in entry.get("keep", {}).items():
        namespace[name] = _decode(value)


def load_ipython_extension(ipython) -> None:
    """``%load_ext smgrad.mxnet_cells``: registers the ``%%mxnet`` cell magic."""

    def mxnet(line: str, cell: str) -> None:
        run_cell(line, cell, ipython.user_ns)

    ipython.register_magic_function(mxnet, magic_kind="cell", magic_name="mxnet")


# ---------------------------------------------------------------------- the web page
def hide_magic_lines(app, doctree) -> None:
    """Sphinx ``doctree-read`` hook: drop the ``%%mxnet NAME [--keep a,b]`` line from the
    code a reader sees on the book's pages, which then show MXNet's code only. The
    notebooks (and the learner editions) keep the line: it is what runs the cell.

    Examples:
        >>> from docutils import nodes
        >>> page = nodes.section()
        >>> page += nodes.literal_block("", "%%mxnet ch0_demo --keep a\\na = 1\\nprint(a)")
        >>> page += nodes.literal_block("", "b = 2")
        >>> hide_magic_lines(None, page)
        >>> [block.astext() for block in page.findall(nodes.literal_block)]
        ['a = 1\\nprint(a)', 'b = 2']
    """
    from docutils import nodes

    for block in doctree.findall(nodes.literal_block):
        text = block.astext()
        if text.startswith("%%mxnet"):
            body = shown_source(text)
            block[:] = [nodes.Text(body)]
            block.rawsource = body


def shown_source(source: str) -> str:
    """The code of a cell as the book's pages show it: without a first ``%%mxnet`` line.

    >>> shown_source("%%mxnet ch0_demo --keep a\\na = 1")
    'a = 1'
    >>> shown_source("b = 2")
    'b = 2'
    """
    if not source.startswith("%%mxnet"):
        return source
    return source.split("\n", 1)[1] if "\n" in source else ""


def setup(app) -> dict:
    """``smgrad.mxnet_cells`` as a Sphinx extension (``_config.yml``): hides the magic."""
    app.connect("doctree-read", hide_magic_lines)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
