"""The row formulas, on 2-D ``(rows, n)`` arrays, and the blocked runner that feeds them:
what every public function runs once its input is validated and flattened (``forward``,
``derivatives``, ``losses`` and ``autograd`` flatten once, call one of these, and
unflatten once).

Each ``*_rows`` function goes through :func:`rowwise` (blocks of rows, float16 computed
in float32, the special values' warnings silenced); ``block_elems`` is its block size,
by default one chosen for its kernel from the CPU's caches (:func:`default_block_elems`).
The forward formulas start from the row maximum ``m`` and ``x - m`` (as tinygrad's
``_softmax`` and JAX's ``_logsumexp``). The two logarithmic ones keep the largest entry's
``exp(0) = 1`` out of the sum and add it exactly with ``log1p``::

    log Σ_j exp(x_j - m) = log1p(Σ_{j ≠ k} exp(x_j - m)),    k = argmax_j x_j

so that when one logit dominates, ``log(1 + small)`` keeps ``small``'s digits instead of
rounding ``1 + small`` first (``logsumexp([0, -40])`` is ``e⁻⁴⁰``, not 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ._twofold import log_sum_exp_near_zero

__all__ = ["softmax_rows", "log_softmax_rows", "logsumexp_rows", "softmax_vjp_rows",
           "log_softmax_vjp_rows", "rowwise", "row_dot", "default_block_elems",
           "cache_bytes"]


# --- block sizes -------------------------------------------------------------------------

#: The caches assumed where the CPU's cannot be read (``/sys`` on Linux): 1 MiB of L2 per
#: core and 32 MiB of L3, an AMD EPYC's (the CPU the sweep below was measured on).
FALLBACK_CACHES = {2: 1 << 20, 3: 32 << 20}

#: Blocks are clipped to [2**14, 2**22] entries: below, numpy's per-call overhead (a few
#: calls per pass) dominates; above, the whole benchmark array is one block anyway.
MIN_BLOCK, MAX_BLOCK = 1 << 14, 1 << 22


def cache_bytes(sysfs: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> dict[int, int]:
    """The sizes of CPU 0's unified or data caches by level, ``{2: bytes, 3: bytes}``, read
    from Linux's ``sysfs``; :data:`FALLBACK_CACHES` for each level it does not give.

    >>> sizes = cache_bytes(Path("/nonexistent"))
    >>> sizes == FALLBACK_CACHES
    True
    """
    sizes = dict(FALLBACK_CACHES)
    try:
        entries = sorted(sysfs.glob("index*"))
        for entry in entries:
            level = int((entry / "level").read_text())
            kind = (entry / "type").read_text().strip()
            if level in sizes and kind in ("Unified", "Data"):
                sizes[level] = _parse_size((entry / "size").read_text())
    except (OSError, ValueError):
        return dict(FALLBACK_CACHES)
    return sizes


def _parse_size(text: str) -> int:
    """``"1024K"`` or ``"32M"`` (sysfs's format) in bytes."""
    text = text.strip()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:].upper(), 1)
    return int(text.rstrip("KMGkmg")) * scale


def default_block_elems(kernel: str, caches: Optional[dict[int, int]] = None,
                        itemsize: int = 4) -> int:
    """The default block (entries of ``itemsize`` bytes) for ``kernel``, from the caches.

    * ``"forward"`` (softmax and its logarithmic kin: max, subtract, exp, sum, divide,
      five passes over one array and its output): a sixteenth of the L3, so that the
      passes reread the block from cache while other cores and processes keep theirs;
    * ``"vjp"`` (two inputs and an output, three passes): a quarter of the L2 per array,
      so that the three stay in the L2 together with the small per-row temporaries.

    Each is rounded down to a power of two and clipped to [2**14, 2**22] entries. The
    rules fit the sweeps of ``benchmarks/bench_softmax.py --block-sweep``
    (``benchmarks/results/block-sweep-*.json``) on an AMD EPYC (1 MiB L2, 32 MiB L3:
    2**19 for the softmax, 2**16 for the VJP) and an Intel Xeon (2 MiB L2, 300 MiB L3:
    2**22 and 2**17), each the best block or within the sweeps' noise of it.

    >>> default_block_elems("forward", {2: 1 << 20, 3: 32 << 20}) == 2 ** 19
    True
    >>> default_block_elems("vjp", {2: 1 << 20, 3: 32 << 20}) == 2 ** 16
    True
    >>> default_block_elems("forward", {2: 2 << 20, 3: 300 << 20}) == 2 ** 22
    True
    >>> default_block_elems("vjp", {2: 2 << 20, 3: 300 << 20}) == 2 ** 17
    True
    """
    caches = cache_bytes() if caches is None else caches
    budget = {"forward": caches[3] // 16, "vjp": caches[2] // 4}[kernel] // itemsize
    return min(MAX_BLOCK, max(MIN_BLOCK, 1 << max(budget, 1).bit_length() - 1))


#: This CPU's default blocks, in entries (of float32: a float64 block holds twice the bytes).
FORWARD_BLOCK = default_block_elems("forward")
VJP_BLOCK = default_block_elems("vjp")


# --- the runner ----------------------------------------------------------------------------

def special_values_quietly() -> np.errstate:
    """The floating-point events that the row formulas produce on purpose, silenced.

    NaN only where documented (all ``-inf`` rows, ``+inf`` or NaN input); ``log 0 = -inf``
    for an all ``-inf`` row's ``logsumexp``; ``x - max`` overflowing to ``-inf`` for
    logits near the float limit, whose ``exp`` is then exactly 0.
    """
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def compute_dtype(*dtypes: np.dtype) -> np.dtype:
    """The common float dtype of ``dtypes``, with float16 raised to float32 for the sums."""
    return np.result_type(*dtypes, np.float32)


def rowwise(kernel, *arrays: np.ndarray, width: Optional[int] = None,
            block_elems: int = FORWARD_BLOCK) -> np.ndarray:
    """Apply ``kernel(*blocks, out=out_block)`` to blocks of rows of 2-D ``arrays``.

    All ``arrays`` have shape ``(rows, n)``; each block holds about ``block_elems``
    entries of each (at least one row). The result has shape ``(rows, width)`` (``width``
    defaults to ``n``; 1 for one value per row) and the arrays' common dtype (float16 in,
    float16 out, computed in float32). The kernel also runs on rows of length 0.
    """
    if block_elems < 1:
        raise ValueError(f"block_elems={block_elems!r} must be a positive number of entries")
    dtype = compute_dtype(*(a.dtype for a in arrays))
    work = [a.astype(dtype, copy=False) for a in arrays]
    rows, n = work[0].shape
    out = np.empty((rows, n if width is None else width), dtype=dtype)
    step = max(1, block_elems // max(n, 1))
    with special_values_quietly():
        for start in range(0, rows, step):
            kernel(*(w[start:start + step] for w in work), out=out[start:start + step])
    return out.astype(np.result_type(*arrays), copy=False)


def _or(block_elems: Optional[int], default: int) -> int:
    """``block_elems``, or the kernel's default (read at call time) where it is ``None``."""
    return default if block_elems is None else block_elems


def row_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Σ_j a_ij b_ij`` for each row ``i`` of 2-D ``a``, as a ``(rows, 1)`` column.

    ``b`` has ``a``'s shape, or is one row ``(n,)`` used for every row (ones: row sums).
    Rounding: about 2 ulps on rows of up to 10⁴ entries (numpy's pairwise ``sum``: about
    1); on rows of 10⁶ float32 entries about 1e-6 relative (pairwise: about 1e-7).
    """
    # A stack of (1 × n) @ (n × 1) products: numpy hands each row to BLAS's dot, 2-3× faster
    # than (a * b).sum(axis=1) on a block in cache, and without its (rows, n) temporary.
    return np.matmul(a[:, None, :], b[..., :, None])[:, 0]


# --- the row formulas ----------------------------------------------------------------------

def softmax_rows(x: np.ndarray, block_elems: Optional[int] = None) -> np.ndarray:
    """``exp(x - m) / Σ exp(x - m)`` for each row of ``x``."""
    return rowwise(_softmax, x, block_elems=_or(block_elems, FORWARD_BLOCK))


def log_softmax_rows(x: np.ndarray, block_elems: Optional[int] = None) -> np.ndarray:
    """``(x - m) - log1p(Σ_{j≠k} exp(x_j - m))`` for each row of ``x`` (``k``: the
    argmax): a few ulps from the exact value, the largest entry's included."""
    return rowwise(_log_softmax, x, block_elems=_or(block_elems, FORWARD_BLOCK))


def logsumexp_rows(x: np.ndarray, block_elems: Optional[int] = None) -> np.ndarray:
    """``m + log1p(Σ_{j≠k} exp(x_j - m))`` for each row of ``x``, shape ``(rows,)``;
    ``-inf`` for rows of length 0 (the log of an empty sum). Where ``m < 0`` and the log
    nearly cancel, the row is computed in double-double (:mod:`smgrad._twofold`)."""
    return rowwise(_logsumexp, x, width=1, block_elems=_or(block_elems, FORWARD_BLOCK))[:, 0]


def softmax_vjp_rows(s: np.ndarray, g: np.ndarray,
                     block_elems: Optional[int] = None) -> np.ndarray:
    """``s ⊙ (g - ⟨g, s⟩)`` for each row (softmax's VJP, and its JVP: J is symmetric)."""
    return rowwise(_softmax_vjp, s, g, block_elems=_or(block_elems, VJP_BLOCK))


def log_softmax_vjp_rows(s: np.ndarray, g: np.ndarray,
                         block_elems: Optional[int] = None) -> np.ndarray:
    """``g - s Σ g`` for each row (log-softmax's VJP)."""
    return rowwise(_log_softmax_vjp, s, g, block_elems=_or(block_elems, VJP_BLOCK))


# --- the kernels: one block of rows in, ``out`` written ----------------------------------

def _shift(x: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """Write the shifted logits ``x - m`` into ``out`` and return ``m``, the row maxima as
    a column. Every ``exp(x - m)`` is then at most 1: nothing overflows.

    An all ``-inf`` row (or a row of length 0) gets ``m = 0``, so that its shifted logits
    stay ``-inf`` instead of ``-inf - (-inf) = NaN``; a ``+inf`` maximum stays, and its
    row becomes NaN (``inf - inf``), as documented.
    """
    m = x.max(axis=1, keepdims=True, initial=-np.inf)
    m[np.isneginf(m)] = 0
    np.subtract(x, m, out=out)
    return m


def _log_sum_exp(x: np.ndarray, m: np.ndarray, shifted: np.ndarray) -> np.ndarray:
    """``log Σ_j exp(x_j - m)`` for each row, as a column, given ``shifted = x - m``:
    ``log1p`` of the sum without the largest entry's ``exp(0) = 1``.

    That 1 is taken out exactly, as ``exp(0) - 1 = 0`` at the first argmax (ties keep
    their other 1s in the sum). An all ``-inf`` row has ``exp = 0`` there, so its sum is
    ``-1`` and its log ``-inf`` (= log 0), as it must; a NaN row stays NaN. Rows of
    length 0 give ``-inf``. Where that sum is below 1/2 (one logit dominates), the
    rounding of ``x - m`` is added back (:func:`_shift_error`).
    """
    if shifted.shape[1] == 0:
        return np.full((shifted.shape[0], 1), -np.inf, shifted.dtype)
    k = shifted.argmax(axis=1)[:, None]          # NaN counts as the largest: NaN rows
    terms = np.exp(shifted)
    np.put_along_axis(terms, k, np.take_along_axis(terms, k, axis=1) - 1, axis=1)
    rest = terms.sum(axis=1, keepdims=True)
    dominated = (rest[:, 0] >= 0) & (rest[:, 0] < 0.5)
    if dominated.all():
        rest += _shift_error(x, m, shifted, terms)
    elif dominated.any():
        rest[dominated] += _shift_error(x[dominated], m[dominated], shifted[dominated],
                                        terms[dominated])
    return np.log1p(rest)


def _shift_error(x: np.ndarray, m: np.ndarray, shifted: np.ndarray,
                 terms: np.ndarray) -> np.ndarray:
    """``Σ_j exp(s_j) e_j`` for each row, where ``s_j + e_j = x_j - m`` exactly
    (``s = fl(x - m)``, ``e`` its rounding error, Knuth's two-sum): the first-order
    correction ``exp(s + e) = exp(s) (1 + e)`` of ``terms = exp(s)``. Without it, a gap
    of 33 between two float32 logits costs up to 16 ulps (half an ulp of 33, relative)."""
    error = np.subtract(shifted, x)                     # b' = s - x
    np.subtract(shifted, error, out=error)              # s - b' = the x part of s ...
    np.subtract(x, error, out=error)                    # ... and its error
    error -= (shifted - x) + m                          # + the error of the -m part
    error[~np.isfinite(error)] = 0  # -inf logits (masks), overflowing gaps: exp is 0
    return row_dot(terms, error)


def _softmax(x: np.ndarray, *, out: np.ndarray) -> None:
    _shift(x, out=out)  # out=: exp and division then work in place
    np.exp(out, out=out)
    out /= row_dot(out, np.ones(out.shape[1], out.dtype))  # row sums via BLAS: 2x .sum()


def _log_softmax(x: np.ndarray, *, out: np.ndarray) -> None:
    m = _shift(x, out=out)
    out -= _log_sum_exp(x, m, out)  # both ≤ 0: no cancellation, a few ulps at most


def _logsumexp(x: np.ndarray, *, out: np.ndarray) -> None:
    shifted = np.empty_like(x)
    m = _shift(x, out=shifted)
    np.add(m, _log_sum_exp(x, m, shifted), out=out)
    out[np.isposinf(m)] = np.inf  # a +inf logit: log Σ exp = +inf, not inf - inf
    # m < 0 and log1p(...) > 0 nearly cancel: the log's rounding, an ulp of |m|, would be
    # much of the result. Those rows (rare: the result is below |m| / 2) take the exact path.
    near = ((m < 0) & (np.abs(out) < m / -2))[:, 0]
    if near.any():
        out[near, 0] = log_sum_exp_near_zero(x[near].astype(np.float64))


def _softmax_vjp(s: np.ndarray, g: np.ndarray, *, out: np.ndarray) -> None:
    np.subtract(g, row_dot(g, s), out=out)  # g - ⟨g, s⟩ written straight into out
    out *= s


def _log_softmax_vjp(s: np.ndarray, g: np.ndarray, *, out: np.ndarray) -> None:
    np.multiply(s, g.sum(axis=1, keepdims=True), out=out)
    np.subtract(g, out, out=out)
