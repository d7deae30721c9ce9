"""smgrad._rows: the blocked runner (blocks of rows, the compute dtype, block sizes from
the CPU's caches) and the row formulas' independence of the block size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from smgrad import _rows
from smgrad._rows import cache_bytes, default_block_elems, rowwise

# --- rowwise: blocks of rows -------------------------------------------------------------

def test_rowwise_runs_the_kernel_on_blocks_of_rows():
    calls = []

    def double(a, *, out):
        calls.append(a.shape)
        np.multiply(a, 2, out=out)

    x = np.arange(70.0).reshape(10, 7)
    out = rowwise(double, x, block_elems=21)   # 21 entries: 3 rows of 7 per block
    assert calls == [(3, 7), (3, 7), (3, 7), (1, 7)]
    np.testing.assert_array_equal(out, 2 * x)
    calls.clear()
    rowwise(double, x, block_elems=5)          # fewer entries than a row: one row each
    assert calls == [(1, 7)] * 10


def test_rowwise_width_dtype_and_empty_rows():
    seen = []

    def row_sums(a, b, *, out):
        seen.append((a.dtype, a.shape))
        np.sum(a + b, axis=1, keepdims=True, out=out)

    x = np.ones((4, 3), np.float16)
    out = rowwise(row_sums, x, x, width=1)
    assert out.dtype == np.float16 and out.shape == (4, 1)  # float16 out ...
    assert seen == [(np.float32, (4, 3))]                   # ... computed in float32
    np.testing.assert_array_equal(out, 6)
    seen.clear()
    assert rowwise(row_sums, np.ones((2, 0)), np.ones((2, 0)), width=1).shape == (2, 1)
    assert seen == [(np.float64, (2, 0))]                   # rows of length 0 run too


@pytest.mark.parametrize("block_elems", [0, -4])
def test_rowwise_block_size_must_be_positive(block_elems):
    with pytest.raises(ValueError, match="block_elems"):
        rowwise(lambda a, *, out: None, np.ones((2, 2)), block_elems=block_elems)


ROW_FORMULAS = [_rows.softmax_rows, _rows.log_softmax_rows, _rows.logsumexp_rows,
                _rows.softmax_vjp_rows, _rows.log_softmax_vjp_rows]


@pytest.mark.parametrize("formula", ROW_FORMULAS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_row_formulas_do_not_depend_on_the_block_size(formula, dtype):
    """Rows are independent: blocks of 1 row, of 3, a partial last block and one block
    give the same bits (special values included)."""
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((23, 19)) * 5).astype(dtype)
    x[0, :] = -np.inf
    x[1, 3] = -np.inf
    x[2, 4] = np.inf
    s, g = _rows.softmax_rows(x), rng.standard_normal(x.shape).astype(dtype)
    args = (s, g) if "vjp" in formula.__name__ else (x,)
    whole = formula(*args, block_elems=x.size)
    for block_elems in (1, 3 * 19, 4 * 19 - 1):
        blocked = formula(*args, block_elems=block_elems)
        assert blocked.dtype == whole.dtype == dtype
        np.testing.assert_array_equal(blocked, whole)


# --- block sizes from the caches ---------------------------------------------------------

def fake_sysfs(tmp_path: Path, caches: list[tuple[int, str, str]]) -> Path:
    """A directory laid out as Linux's ``/sys/devices/system/cpu/cpu0/cache``."""
    for i, (level, kind, size) in enumerate(caches):
        entry = tmp_path / f"index{i}"
        entry.mkdir()
        (entry / "level").write_text(f"{level}\n")
        (entry / "type").write_text(f"{kind}\n")
        (entry / "size").write_text(f"{size}\n")
    return tmp_path


def test_cache_sizes_read_from_sysfs(tmp_path):
    sysfs = fake_sysfs(tmp_path, [(1, "Data", "48K"), (1, "Instruction", "32K"),
                                  (2, "Unified", "2048K"), (3, "Unified", "260M")])
    assert cache_bytes(sysfs) == {2: 2 << 20, 3: 260 << 20}


def test_cache_sizes_fall_back_where_sysfs_is_missing_or_odd(tmp_path):
    assert cache_bytes(tmp_path / "absent") == _rows.FALLBACK_CACHES
    odd = fake_sysfs(tmp_path, [(2, "Unified", "lots")])
    assert cache_bytes(odd) == _rows.FALLBACK_CACHES


@pytest.mark.parametrize("kernel, caches, expected", [
    ("forward", {2: 1 << 20, 3: 32 << 20}, 1 << 19),   # AMD EPYC: 2 MiB of float32
    ("vjp", {2: 1 << 20, 3: 32 << 20}, 1 << 16),       # a quarter of the L2 per array
    ("forward", {2: 2 << 20, 3: 300 << 20}, 1 << 22),  # Intel Xeon: 18.75 MiB, 2**22
    ("vjp", {2: 2 << 20, 3: 300 << 20}, 1 << 17),
    ("vjp", {2: 3 << 19, 3: 32 << 20}, 1 << 16),       # 1.5 MiB of L2: rounded down
    ("forward", {2: 256 << 10, 3: 3 << 20}, 1 << 15),  # a small L3: 192 KiB, rounded down
    ("vjp", {2: 32 << 10, 3: 0}, 1 << 14),             # tiny caches: clipped at 2**14
])
def test_default_blocks_follow_the_caches(kernel, caches, expected):
    assert default_block_elems(kernel, caches) == expected


def test_default_blocks_halve_for_float64():
    caches = {2: 1 << 20, 3: 32 << 20}
    assert default_block_elems("forward", caches, itemsize=8) == 1 << 18
