"""Tests of smgrad/mxnet_cells.py (the ``%%mxnet`` cell magic), and of the book's records.

The magic is run through ``run_cell`` with a records folder under ``tmp_path`` and a
fake ``mxnet`` module (or ``None``: MXNet not installed), so nothing here needs MXNet.
The last tests read the chapters: every ``%%mxnet NAME`` cell has its record
``smgrad/mxnet_records/NAME.json`` and every record a cell, and no other cell touches
MXNet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from smgrad import mxnet_cells
from smgrad.mxnet_cells import MISSING_NOTE, MXNetRecordError, run_cell

ROOT = Path(__file__).resolve().parents[1]


class FakeArray:
    """Just enough of an MXNet NDArray: ``asnumpy`` and a product with a number."""

    def __init__(self, values, dtype="float32") -> None:
        self._values = np.asarray(values, dtype=dtype)

    def __mul__(self, factor: float) -> "FakeArray":
        return FakeArray(self._values * np.float32(factor), self._values.dtype)

    def asnumpy(self) -> np.ndarray:
        return self._values.copy()


def fake_mxnet(scale: float = 1.0):
    """``mxnet=`` for run_cell: returns a fake module whose results scale with ``scale``
    (another scale plays a live run that disagrees with its record)."""
    module = SimpleNamespace(__name__="mxnet", scale=scale,
                             nd=SimpleNamespace(array=FakeArray))
    return lambda: module


def no_mxnet():
    return None


CELL = """\
a = mx.nd.array([[0.1, 2.0], [3.0, -1.0]]) * mx.scale
grad = a.asnumpy()
print("grad:", grad.sum())
"""
NAME = "ch0_test_cell"


def record(tmp_path: Path, line: str = f"{NAME} --keep grad", source: str = CELL,
           scale: float = 1.0) -> dict:
    run_cell(line, source, {}, records=tmp_path, mxnet=fake_mxnet(scale), record=True)
    return json.loads((tmp_path / f"{NAME}.json").read_text(encoding="utf-8"))


def test_record_keeps_what_the_cell_printed_and_the_kept_arrays(tmp_path, capsys):
    namespace: dict = {}
    run_cell(f"{NAME} --keep grad", CELL, namespace, records=tmp_path, mxnet=fake_mxnet(),
             record=True)
    entry = json.loads((tmp_path / f"{NAME}.json").read_text(encoding="utf-8"))
    assert capsys.readouterr().out == "grad: 4.1\n"  # the live run still prints
    assert entry["stdout"] == "grad: 4.1\n"
    assert entry["error"] is None
    assert entry["keep"]["grad"]["dtype"] == "float32"
    assert entry["keep"]["grad"]["shape"] == [2, 2]
    assert namespace["mx"].__name__ == "mxnet"  # the cell ran with `mx` defined
    np.testing.assert_array_equal(mxnet_cells._decode(entry["keep"]["grad"]),
                                  namespace["grad"])


def test_recording_is_switched_on_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SMGRAD_RECORD_MXNET", "1")
    run_cell(NAME, 'print("hi")', {}, records=tmp_path, mxnet=fake_mxnet())
    assert json.loads((tmp_path / f"{NAME}.json").read_text())["stdout"] == "hi\n"
    monkeypatch.setenv("SMGRAD_RECORD_MXNET", "0")
    with pytest.raises(MXNetRecordError, match="no record"):
        run_cell("ch0_other", 'print("hi")', {}, records=tmp_path, mxnet=fake_mxnet())


def test_a_live_run_equal_to_its_record_passes(tmp_path, capsys):
    record(tmp_path)
    capsys.readouterr()
    namespace: dict = {}
    run_cell(f"{NAME} --keep grad", CELL, namespace, records=tmp_path, mxnet=fake_mxnet(),
             record=False)
    assert capsys.readouterr().out == "grad: 4.1\n"
    assert namespace["grad"].dtype == np.float32


def test_replay_without_mxnet_prints_the_record_and_restores_kept_arrays(tmp_path, capsys):
    live: dict = {}
    run_cell(f"{NAME} --keep grad", CELL, live, records=tmp_path, mxnet=fake_mxnet(),
             record=True)
    capsys.readouterr()
    namespace: dict = {}
    # The body is not run where MXNet is missing: this one would fail if it were.
    run_cell(f"{NAME} --keep grad", "raise AssertionError('ran')", namespace,
             records=tmp_path, mxnet=no_mxnet)
    assert capsys.readouterr().out == MISSING_NOTE + "\n" + "grad: 4.1\n"
    assert "mx" not in namespace
    assert namespace["grad"].dtype == np.float32 and namespace["grad"].shape == (2, 2)
    np.testing.assert_array_equal(namespace["grad"], live["grad"])  # bit for bit


def test_a_record_whose_printout_differs_is_stale(tmp_path):
    record(tmp_path)
    with pytest.raises(MXNetRecordError, match=f"{NAME}.*differs.*make record-mxnet"):
        run_cell(f"{NAME} --keep grad", CELL, {}, records=tmp_path, mxnet=fake_mxnet(2.0),
                 record=False)


@pytest.mark.parametrize("change, stale", [
    (0, False),
    (1, False),      # an ulp or two: float32 exp differs in the last bit between CPUs
    (1000, True),    # more than round-off
])
def test_kept_arrays_are_compared_to_round_off(tmp_path, change, stale):
    quiet = "grad = (mx.nd.array([[0.1, 2.0]]) * mx.scale).asnumpy()\nprint('done')\n"
    record(tmp_path, source=quiet)
    scale = 1.0 + change * float(np.finfo(np.float32).eps)
    run = lambda: run_cell(f"{NAME} --keep grad", quiet, {}, records=tmp_path,  # noqa: E731
                           mxnet=fake_mxnet(scale), record=False)
    if stale:
        with pytest.raises(MXNetRecordError, match="differs"):
            run()
    else:
        run()


@pytest.mark.parametrize("recorded, live, stale", [
    ("[np.nan, 1.0]", "[np.nan, 1.0]", False),   # NaN where the record has NaN
    ("[np.nan, 1.0]", "[0.0, 1.0]", True),
    ("[0.0, 1.0]", "[np.nan, 1.0]", True),
    ("[np.inf, 1.0]", "[np.inf, 1.0]", False),
])
def test_kept_arrays_match_nan_for_nan(tmp_path, recorded, live, stale):
    def cell(values: str) -> str:
        return f"import numpy as np\ngrad = np.array({values}, np.float32)\n"

    record(tmp_path, source=cell(recorded))
    run = lambda: run_cell(f"{NAME} --keep grad", cell(live), {}, records=tmp_path,  # noqa: E731
                           mxnet=fake_mxnet(), record=False)
    if stale:
        with pytest.raises(MXNetRecordError, match="differs"):
            run()
    else:
        run()


def test_a_record_with_other_kept_names_is_stale(tmp_path):
    record(tmp_path)
    with pytest.raises(MXNetRecordError, match="differs"):
        run_cell(f"{NAME} --keep grad,a2", CELL + "a2 = grad * 2\n", {}, records=tmp_path,
                 mxnet=fake_mxnet(), record=False)


def test_a_missing_record_raises_in_a_live_run(tmp_path):
    with pytest.raises(MXNetRecordError, match=f"no record of the MXNet cell '{NAME}'.*"
                                               "make record-mxnet"):
        run_cell(NAME, CELL, {}, records=tmp_path, mxnet=fake_mxnet(), record=False)
    assert not (tmp_path / f"{NAME}.json").exists()


def test_a_missing_record_raises_without_mxnet(tmp_path):
    with pytest.raises(MXNetRecordError, match=f"MXNet is not installed.*'{NAME}'"):
        run_cell(NAME, CELL, {}, records=tmp_path, mxnet=no_mxnet)


@pytest.mark.parametrize("line", ["", "--keep grad", "one two", f"{NAME} --kept grad",
                                  f"{NAME} --keep"])
def test_a_bad_magic_line_says_what_is_expected(tmp_path, line, capsys):
    with pytest.raises(ValueError, match=r"expected '%%mxnet NAME \[--keep a,b\]'"):
        run_cell(line, CELL, {}, records=tmp_path, mxnet=fake_mxnet(), record=True)
    assert list(tmp_path.iterdir()) == []


def test_keep_takes_numpy_arrays_only(tmp_path):
    with pytest.raises(TypeError, match=r"--keep a: a is a FakeArray.*asnumpy"):
        run_cell(f"{NAME} --keep a", CELL, {}, records=tmp_path, mxnet=fake_mxnet(),
                 record=True)


def test_an_intended_error_is_recorded_raised_live_and_shown_on_replay(tmp_path, capsys):
    failing = "print('before')\nraise ValueError('on purpose')\n"
    with pytest.raises(ValueError, match="on purpose"):
        run_cell(NAME, failing, {}, records=tmp_path, mxnet=fake_mxnet(), record=True)
    entry = json.loads((tmp_path / f"{NAME}.json").read_text())
    assert entry["error"] == "ValueError: on purpose" and entry["stdout"] == "before\n"
    with pytest.raises(ValueError, match="on purpose"):  # live and equal to its record
        run_cell(NAME, failing, {}, records=tmp_path, mxnet=fake_mxnet(), record=False)
    capsys.readouterr()
    run_cell(NAME, failing, {}, records=tmp_path, mxnet=no_mxnet)  # shown, not raised
    assert capsys.readouterr().out.endswith(
        "before\n(and then MXNet raised ValueError: on purpose)\n")


def test_the_extension_registers_the_cell_magic(monkeypatch):
    registered = {}
    shell = SimpleNamespace(user_ns={"x": 1}, register_magic_function=lambda fn, magic_kind,
                            magic_name: registered.update({(magic_kind, magic_name): fn}))
    calls = []
    monkeypatch.setattr(mxnet_cells, "run_cell", lambda *args: calls.append(args))
    mxnet_cells.load_ipython_extension(shell)
    registered[("cell", "mxnet")]("ch0_name --keep a", "a = 1\n")
    assert calls == [("ch0_name --keep a", "a = 1\n", shell.user_ns)]


# ---------------------------------------------------------------------------------------
# The book: every %%mxnet cell and its record.

CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
RECORDS = sorted(mxnet_cells.RECORDS.glob("*.json"))
# Code outside a %%mxnet cell that would need MXNet (where it is missing, it fails).
USES_MXNET = re.compile(r"\bimport\s+mxnet\b|\bfrom\s+mxnet\b|\bimport_mxnet\b|\bmx\.\w")


def _code_cells(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            yield index, source


def _mxnet_cells() -> list[tuple[str, str]]:
    """``(NAME, "book/chapter.ipynb cell N")`` for every %%mxnet cell of the book."""
    cells = []
    for path in CHAPTERS:
        for index, source in _code_cells(path):
            first = source.lstrip().split("\n", 1)[0]
            if first.startswith("%%mxnet"):
                name = mxnet_cells._parse(first[len("%%mxnet"):]).name
                cells.append((name, f"{path.relative_to(ROOT)} cell {index}"))
    return cells


def test_the_book_has_chapters():
    assert len(CHAPTERS) >= 7


def test_every_mxnet_cell_has_a_record_and_every_record_a_cell():
    names = {name for name, _ in _mxnet_cells()}
    recorded = {path.stem for path in RECORDS}
    assert sorted(names - recorded) == [], "no record: run `make record-mxnet`"
    assert sorted(recorded - names) == [], \
        f"records of no %%mxnet cell: delete them from {mxnet_cells.RECORDS}"


def test_mxnet_cell_names_are_unique_across_the_book():
    seen: dict[str, str] = {}
    doubles = []
    for name, where in _mxnet_cells():
        if name in seen:
            doubles.append(f"{name}: {seen[name]} and {where}")
        seen.setdefault(name, where)
    assert doubles == []


def test_records_are_readable_and_complete():
    for path in RECORDS:
        entry = json.loads(path.read_text(encoding="utf-8"))
        assert set(entry) == {"stdout", "error", "keep"}, path.name
        for kept in entry["keep"].values():
            assert mxnet_cells._decode(kept).shape == tuple(kept["shape"]), path.name


def test_only_mxnet_cells_touch_mxnet():
    """Every other cell must run where MXNet is missing (Colab, .venv-np2)."""
    offenders = []
    for path in CHAPTERS:
        loaded = False
        for index, source in _code_cells(path):
            where = f"{path.relative_to(ROOT)} cell {index}"
            if source.lstrip().startswith("%%mxnet"):
                if not loaded:
                    offenders.append(f"{where}: %%mxnet before `%load_ext smgrad.mxnet_cells`")
                continue
            loaded = loaded or "%load_ext smgrad.mxnet_cells" in source
            for line in source.splitlines():
                if USES_MXNET.search(line.split("#", 1)[0]):
                    offenders.append(f"{where}: {line.strip()[:70]}")
    assert offenders == [], "put MXNet code in %%mxnet cells:\n" + "\n".join(offenders)
