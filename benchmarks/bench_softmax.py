"""Speed of smgrad's softmax and softmax VJP, against the numpy a reader would write and
scipy (the targets), and against PyTorch (for scale), as ratios in one process.

What is measured (float32 logits of shape (4096, 1000), one thread everywhere):

* forward: ``smgrad.softmax``, the naive numpy softmax ``exp(x - max) / sum``,
  ``scipy.special.softmax``, ``torch.softmax`` and ``mxnet.nd.softmax`` (when installed),
  and ``np.exp(x)`` alone for scale (the exp that every numpy softmax must pay, in one
  pass);
* backward: ``smgrad.softmax_vjp``, the naive numpy VJP
  ``s * (g - (g * s).sum(axis, keepdims=True))``, PyTorch's softmax backward kernel and
  its ``autograd.grad`` on a prepared graph, and ``np.add(probs, grad_out)`` alone for
  scale (one pass that reads both inputs and writes a result: the memory traffic that
  every VJP needs);
* Jacobian then multiply against the VJP, as ``n`` grows (batch 256): time and peak memory.

The targets (issue 9, tightened by issue 18 to hold with margin on every CPU), each a
ratio of per-call times in the same run: ``smgrad.softmax`` <= 0.85x
``scipy.special.softmax`` and <= 0.95x the naive numpy softmax; ``smgrad.softmax_vjp``
<= 0.75x the naive numpy VJP. Each group's table also gives every
contender's ratio to PyTorch (the reference of the group), with no target: plain numpy
makes several passes where PyTorch's kernel makes one.

How: every contender is warmed up, then timed in alternating blocks of repeated calls
(``--rounds`` rounds of ``--calls`` calls each, the order rotated every round), as in a
training loop's steady state; a contender's per-call time is the median over the rounds,
and a ratio is the quotient of two such medians. Interleaving makes the ratios robust to
a machine whose speed drifts. The clock is the process's CPU time by default: on a shared
machine it leaves out the time other processes take from this one (on an idle machine it
agrees with the wall clock, which is recorded too: ``--clock wall`` reports it instead).
Other processes still share the caches and the memory bus: the load average at the start
and the end is printed and saved.

Speed is reported, not tested: each target prints PASS or FAIL and the script exits 0.
Results go to ``benchmarks/results/<env>.json`` (``numpy-2.x.json``, ``numpy-1.23.5.json``)
for the book to read, with their provenance: the commit, a hash of the kernel sources
(:data:`KERNEL_SOURCES`; ``tests/test_benchmarks.py`` fails when they change after the
recording), the CPU and its caches, and the date. Run with ``make bench`` (both
environments), or::

    .venv/bin/python benchmarks/bench_softmax.py [--rounds 7] [--calls 20]

``--block-sweep`` times smgrad's block size instead: the row formulas of
``smgrad._rows`` with ``block_elems`` from 2**14 to 2**22 entries, and writes
``benchmarks/results/block-sweep-<cpu>-<env>.json``. Its ratios choose a block; they run
lower than this script's own for the same block, because the naive reference is slower
beside the sweep's other contenders (``benchmarks/README.md``), so the targets are
judged here, not there.
"""

from __future__ import annotations

import os

# One thread for every library, set before any of them is imported: PyTorch's intra-op
# pool, OpenMP, the BLAS numpy may call, MXNet's engine (synchronous, so a call's time
# includes its work).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "MXNET_CPU_WORKER_NTHREADS"):
    os.environ[_var] = "1"
os.environ["MXNET_ENGINE_TYPE"] = "NaiveEngine"

import argparse  # noqa: E402
import datetime  # noqa: E402
import hashlib  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable, Optional  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import smgrad  # noqa: E402
from smgrad import _rows  # noqa: E402  (the row formulas, for --block-sweep)
from smgrad._rows import FORWARD_BLOCK, VJP_BLOCK, cache_bytes  # noqa: E402
from smgrad.frameworks import import_mxnet, quiet_mxnet  # noqa: E402

torch.set_num_threads(1)

SHAPE = (4096, 1000)
DTYPE = np.float32
FORWARD, BACKWARD = "forward", "backward"
SMGRAD_SOFTMAX, SMGRAD_VJP = "smgrad.softmax", "smgrad.softmax_vjp"
NAIVE_SOFTMAX, SCIPY_SOFTMAX = "numpy, three passes", "scipy.special.softmax"
NAIVE_VJP = "numpy VJP, s*(g - sum(g*s))"
#: (group, contender, reference, the largest ratio allowed): issue 9's targets, as
#: issue 18 tightened them.
TARGETS = ((FORWARD, SMGRAD_SOFTMAX, SCIPY_SOFTMAX, 0.85),
           (FORWARD, SMGRAD_SOFTMAX, NAIVE_SOFTMAX, 0.95),
           (BACKWARD, SMGRAD_VJP, NAIVE_VJP, 0.75))
BLOCK_SWEEP = tuple(range(14, 23))  # 2**k entries; 2**22 > 4096 x 1000: one block
#: The sources whose code the timings measure: their hash is saved with the results.
KERNEL_SOURCES = ("smgrad/_rows.py", "smgrad/_arrays.py", "smgrad/_twofold.py")
ROOT = Path(__file__).resolve().parent.parent
JACOBIAN_BATCH = 256
JACOBIAN_NS = (10, 30, 100, 300, 1000)
VJP_CALLS = 20  # the VJP's calls per block in the Jacobian comparison
RESULTS = Path(__file__).resolve().parent / "results"


# --- timing ------------------------------------------------------------------------------

@dataclass
class Contender:
    name: str
    call: Callable[[], object]
    note: str = ""
    calls: Optional[int] = None  # calls per block, where not the run's
    cpu: list = field(default_factory=list)   # seconds per call, one entry per round
    wall: list = field(default_factory=list)


def time_alternating(contenders: list[Contender], rounds: int, calls: int,
                     warmup: int = 3) -> None:
    """Fill each contender's per-call times: ``rounds`` rounds, each running every
    contender for a block of ``calls`` calls (or its own ``calls``), starting from a
    different one each round."""
    for c in contenders:
        for _ in range(warmup):
            c.call()
    for r in range(rounds):
        for i in range(len(contenders)):
            c = contenders[(r + i) % len(contenders)]
            count = c.calls or calls
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for _ in range(count):
                c.call()
            c.cpu.append((time.process_time() - cpu0) / count)
            c.wall.append((time.perf_counter() - wall0) / count)


def median(values: list) -> float:
    return float(np.median(values))


def summarize(group: str, contenders: list[Contender], clock: str) -> dict:
    """Print the group's table (the first contender is the reference) and return it."""
    ref = contenders[0]
    print(f"\n{group}: per-call {clock} time (median of {len(ref.cpu)} rounds) and ratio "
          f"to {ref.name}")
    print(f"  {'contender':<37}{'ms/call':>9}{'ratio':>8}{'wall ratio':>12}   note")
    rows = []
    for c in contenders:
        ratio = median(times_of(c, clock)) / median(times_of(ref, clock))
        wall_ratio = median(c.wall) / median(ref.wall)
        note = "reference" if c is ref else c.note
        print(f"  {c.name:<37}{median(times_of(c, clock)) * 1e3:9.2f}{ratio:8.2f}"
              f"{wall_ratio:12.2f}   {note}")
        rows.append(dict(name=c.name, ms_per_call=median(times_of(c, clock)) * 1e3,
                         ratio=ratio, wall_ratio=wall_ratio, note=c.note,
                         cpu_ms=[t * 1e3 for t in c.cpu],
                         wall_ms=[t * 1e3 for t in c.wall]))
    return dict(reference=ref.name, contenders=rows)


def times_of(c: Contender, clock: str) -> list:
    return c.cpu if clock == "cpu" else c.wall


def check_targets(groups: dict[str, list[Contender]], clock: str) -> list[dict]:
    """Print and return issue 9's targets: each a ratio of two contenders' median times,
    measured in the same alternating run."""
    print(f"\nTargets (issues 9 and 18): ratio of per-call {clock} times, same run")
    print(f"  {'ratio':<60}{'value':>7}{'target':>9}   verdict")
    out = []
    for group, name, ref_name, limit in TARGETS:
        by_name = {c.name: c for c in groups[group]}
        label = f"{name} / {ref_name}"
        if ref_name not in by_name:
            print(f"  {label:<60}{'-':>7}{limit:>8g}x   not measured "
                  f"({ref_name} not installed)")
            out.append(dict(contender=name, reference=ref_name, target=limit, ratio=None,
                            wall_ratio=None, passed=None))
            continue
        c, ref = by_name[name], by_name[ref_name]
        ratio = median(times_of(c, clock)) / median(times_of(ref, clock))
        passed = bool(ratio <= limit)
        print(f"  {label:<60}{ratio:7.2f}{limit:>8g}x   {'PASS' if passed else 'FAIL'}")
        out.append(dict(contender=name, reference=ref_name, target=limit, ratio=ratio,
                        wall_ratio=median(c.wall) / median(ref.wall), passed=passed))
    return out


def agrees(name: str, actual: object, expected: np.ndarray) -> None:
    """Stop if a contender computes something else than the reference."""
    actual = np.asarray(actual.asnumpy() if hasattr(actual, "asnumpy") else actual)
    if not np.allclose(actual, expected, rtol=1e-4, atol=1e-6):
        raise SystemExit(f"{name} disagrees with the reference: max difference "
                         f"{np.max(np.abs(actual - expected)):.3g}")


# --- the contenders ------------------------------------------------------------------------

def numpy_softmax(x: np.ndarray) -> np.ndarray:
    """The textbook three passes: max, exp of the shifted logits, divide by the sum."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def numpy_vjp(probs: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """The textbook VJP ``s * (g - Σ g s)``."""
    return probs * (grad_out - (grad_out * probs).sum(axis=-1, keepdims=True))


def try_import(name: str):
    """The module, or None where it is not installed (or its install is broken)."""
    try:
        return import_mxnet() if name == "mxnet" else importlib.import_module(name)
    except Exception:  # ImportError, or a broken install (OSError, AttributeError)
        return None


def forward_contenders(x: np.ndarray, mx) -> list[Contender]:
    xt = torch.from_numpy(x)
    expected = torch.softmax(xt, dim=-1).numpy()
    out = [Contender("torch.softmax", lambda: torch.softmax(xt, dim=-1)),
           Contender(SMGRAD_SOFTMAX, lambda: smgrad.softmax(x, axis=-1)),
           Contender(NAIVE_SOFTMAX, lambda: numpy_softmax(x),
                     note="target: smgrad.softmax <= 0.95x this"),
           Contender("np.exp(x) alone", lambda: np.exp(x),
                     note="for scale: numpy's exp alone")]
    special = try_import("scipy.special")
    if special is not None:
        out.append(Contender(SCIPY_SOFTMAX, lambda: special.softmax(x, axis=-1),
                             note="target: smgrad.softmax <= 0.85x this"))
    if mx is not None:
        with quiet_mxnet():
            xm = mx.nd.array(x, dtype=x.dtype)

        def mxnet_softmax():
            with quiet_mxnet():
                y = mx.nd.softmax(xm, axis=-1)
                y.wait_to_read()
            return y
        out.append(Contender("mxnet.nd.softmax", mxnet_softmax, note="extra contender"))
    for c in out:
        if not c.note.startswith("for scale"):
            agrees(c.name, c.call(), expected)
    return out


def backward_contenders(x: np.ndarray, grad_out: np.ndarray, mx) -> list[Contender]:
    xt = torch.from_numpy(x).requires_grad_()
    probs_t = torch.softmax(xt, dim=-1)  # a prepared graph: only the backward is timed
    grad_t = torch.from_numpy(grad_out)
    probs_d = probs_t.detach()
    probs = probs_d.numpy()
    out = [Contender("torch softmax backward",
                     lambda: torch._softmax_backward_data(grad_t, probs_d, -1, xt.dtype)),
           Contender(SMGRAD_VJP, lambda: smgrad.softmax_vjp(probs, grad_out)),
           Contender(NAIVE_VJP, lambda: numpy_vjp(probs, grad_out),
                     note="target: smgrad.softmax_vjp <= 0.75x this"),
           Contender("np.add(s, g) alone", lambda: np.add(probs, grad_out),
                     note="for scale: one pass over s, g"),
           Contender("torch.autograd.grad (graph ready)",
                     lambda: torch.autograd.grad(probs_t, xt, grad_t, retain_graph=True)[0],
                     note="PyTorch through autograd")]
    if mx is not None:
        with quiet_mxnet():
            xm = mx.nd.array(x, dtype=x.dtype)
            xm.attach_grad()
            gm = mx.nd.array(grad_out, dtype=grad_out.dtype)
            with mx.autograd.record():
                ym = mx.nd.softmax(xm, axis=-1)

        def mxnet_backward():
            with quiet_mxnet():
                ym.backward(gm, retain_graph=True)
                xm.grad.wait_to_read()
            return xm.grad
        out.append(Contender("mxnet backward (graph ready)", mxnet_backward,
                             note="extra contender"))
    expected = out[0].call().numpy()
    for c in out[1:]:
        if not c.note.startswith("for scale"):
            agrees(c.name, c.call(), expected)
    return out


# --- Jacobian then multiply, against the VJP ----------------------------------------------

def jacobian_path(probs: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """Build every row's n x n Jacobian, then multiply: gᵀJ for each row."""
    jac = smgrad.softmax_jacobian(probs, axis=-1)
    return np.matmul(grad_out[:, None, :], jac)[:, 0, :]


def peak_mib(call: Callable[[], object]) -> float:
    """Peak of the memory numpy allocates during ``call`` (tracemalloc sees its arrays)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        call()
        return (tracemalloc.get_traced_memory()[1] - base) / 2 ** 20
    finally:
        tracemalloc.stop()


def jacobian_vs_vjp(rounds: int, budget_s: float, clock: str) -> dict:
    print(f"\nJacobian then multiply (softmax_jacobian, then matmul with g) against "
          f"softmax_vjp, float32, batch {JACOBIAN_BATCH}; {clock} time, peak numpy memory")
    print(f"  {'n':>6}{'J path ms':>12}{'VJP ms':>10}{'time ratio':>12}"
          f"{'J path MiB':>13}{'VJP MiB':>10}{'memory ratio':>14}")
    rng = np.random.default_rng(1)
    rows = []
    for n in JACOBIAN_NS:
        probs = smgrad.softmax(rng.standard_normal((JACOBIAN_BATCH, n), dtype=DTYPE))
        grad_out = rng.standard_normal((JACOBIAN_BATCH, n), dtype=DTYPE)
        agrees(f"Jacobian path (n={n})", jacobian_path(probs, grad_out),
               smgrad.softmax_vjp(probs, grad_out))
        start = time.perf_counter()
        jacobian_path(probs, grad_out)
        once = time.perf_counter() - start  # calls per block: as many as fit the budget
        calls = int(min(20, max(1, budget_s / max(once, 1e-9))))
        # The VJP always gets 20 calls a block: after the Jacobian path has swept its
        # n x n blocks through the caches, the VJP's first call reads its inputs from
        # memory; a block of 20 measures its steady state, as a training loop sees it.
        contenders = [Contender("jacobian", lambda: jacobian_path(probs, grad_out)),
                      Contender("vjp", lambda: smgrad.softmax_vjp(probs, grad_out),
                                calls=VJP_CALLS)]
        time_alternating(contenders, rounds, calls, warmup=1)
        jac_ms, vjp_ms = (median(c.cpu if clock == "cpu" else c.wall) * 1e3
                          for c in contenders)
        jac_mib = peak_mib(contenders[0].call)
        vjp_mib = peak_mib(contenders[1].call)
        row = dict(n=n, jacobian_ms=jac_ms, vjp_ms=vjp_ms, time_ratio=jac_ms / vjp_ms,
                   jacobian_peak_mib=jac_mib, vjp_peak_mib=vjp_mib,
                   memory_ratio=jac_mib / vjp_mib, calls_per_block=calls,
                   vjp_calls_per_block=VJP_CALLS)
        rows.append(row)
        print(f"  {n:6d}{jac_ms:12.3f}{vjp_ms:10.3f}{row['time_ratio']:12.1f}"
              f"{jac_mib:13.2f}{vjp_mib:10.2f}{row['memory_ratio']:14.1f}")
    # The VJP is O(n) per row and the Jacobian O(n²): from n = 100 on, the Jacobian path
    # should cost clearly more time and memory, growing about n-fold.
    big = [r for r in rows if r["n"] >= 100]
    passed = all(r["time_ratio"] > 1 and r["memory_ratio"] > 1 for r in big) and \
        big[-1]["time_ratio"] > big[0]["time_ratio"]
    print(f"  {'PASS' if passed else 'FAIL'} (target: from n = 100 on the Jacobian path is "
          f"slower and larger than the VJP, and its time ratio grows with n)")
    return dict(batch=JACOBIAN_BATCH, dtype=np.dtype(DTYPE).name, passed=passed, rows=rows)


# --- block size --------------------------------------------------------------------------

def block_sweep(x: np.ndarray, grad_out: np.ndarray, rounds: int, calls: int,
                clock: str) -> dict:
    """smgrad's row formulas with rows in blocks of 2**14 ... 2**22 entries (the
    ``block_elems`` of :func:`smgrad._rows.rowwise`), with the naive numpy versions,
    scipy and PyTorch, alternating; each block's ratio to the naive version (and to scipy,
    for the softmax) is what the targets are about."""
    xt, grad_t = torch.from_numpy(x), torch.from_numpy(grad_out)
    probs_t = torch.softmax(xt, dim=-1)
    probs = probs_t.numpy()
    special = try_import("scipy.special")
    cases = (("softmax_rows", FORWARD_BLOCK, lambda block: _rows.softmax_rows(x, block),
              [Contender(NAIVE_SOFTMAX, lambda: numpy_softmax(x)),
               Contender("torch.softmax", lambda: torch.softmax(xt, dim=-1))]
              + ([Contender(SCIPY_SOFTMAX, lambda: special.softmax(x, axis=-1))]
                 if special is not None else [])),
             ("softmax_vjp_rows", VJP_BLOCK,
              lambda block: _rows.softmax_vjp_rows(probs, grad_out, block),
              [Contender(NAIVE_VJP, lambda: numpy_vjp(probs, grad_out)),
               Contender("torch softmax backward",
                         lambda: torch._softmax_backward_data(grad_t, probs_t, -1,
                                                              xt.dtype))]))
    out = {}
    for name, default, fn, peers in cases:
        contenders = peers + [
            Contender(f"{name}, blocks of 2**{k}", lambda k=k: fn(1 << k),
                      note="(this CPU's default)" if 1 << k == default else "")
            for k in BLOCK_SWEEP]
        time_alternating(contenders, rounds, calls)
        table = summarize(f"Block size, {name}", contenders, clock)
        out[name] = dict(default_block=default, **table)
    return out


def save(results: dict, path: Path) -> None:
    """Write ``results`` as JSON, whole, then rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(path)
    print(f"\nwrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


# --- environment ---------------------------------------------------------------------------

def env_name() -> str:
    major = int(np.__version__.split(".")[0])
    return f"numpy-{major}.x" if major >= 2 else f"numpy-{np.__version__}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    caches = cache_bytes()
    return dict(cpu=cpu_model(), logical_cores=os.cpu_count(), machine=platform.machine(),
                system=platform.platform(), l2_bytes=caches[2], l3_bytes=caches[3],
                default_blocks=dict(forward=FORWARD_BLOCK, vjp=VJP_BLOCK),
                load_average=[round(v, 2) for v in os.getloadavg()])


def kernel_hash(root: Path = ROOT) -> str:
    """sha256 of :data:`KERNEL_SOURCES` (each path, then its bytes): what the timings
    measured. ``tests/test_benchmarks.py`` recomputes it from the paths saved beside it."""
    digest = hashlib.sha256()
    for name in KERNEL_SOURCES:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes())
    return digest.hexdigest()


def provenance(commit: Optional[str] = None) -> dict:
    """Where the numbers come from: the commit (and whether the tree had uncommitted
    changes), the kernel sources and their hash, and the date (UTC).

    ``commit`` is for a copy of the tree whose git, if it has one, is not the tree's (a
    lent machine that receives the files of the working tree with the checkout's older
    ``.git``): it is saved as given, with ``commit_from`` saying so, git is not asked,
    and whether the kernel sources differed from it is not known there (``None``); the
    kernel hash, computed from the files that ran, is what ``tests/test_benchmarks.py``
    checks.
    """
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    head = None if commit else git("rev-parse", "HEAD")
    changed = bool(git("status", "--porcelain", "--", *KERNEL_SOURCES)) if head else None
    return dict(commit=commit or head or None, commit_from="--commit" if commit else "git",
                kernel_sources_changed_since_commit=changed,
                kernel_sources=list(KERNEL_SOURCES), kernel_sha256=kernel_hash(),
                date=datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds"))


def cpu_slug(cpu: str) -> str:
    """``"AMD EPYC"`` -> ``"amd-epyc"``: the CPU's name for a file name."""
    return re.sub(r"[^a-z0-9]+", "-", cpu.lower()).strip("-") or "unknown-cpu"


def versions(mx) -> dict:
    scipy = try_import("scipy")
    return dict(python=platform.python_version(), numpy=np.__version__,
                torch=torch.__version__, smgrad=getattr(smgrad, "__version__", "dev"),
                scipy=getattr(scipy, "__version__", None),
                mxnet=getattr(mx, "__version__", None))


def settings(args: argparse.Namespace) -> dict:
    return dict(shape=list(SHAPE), dtype=np.dtype(DTYPE).name, rounds=args.rounds,
                calls_per_block=args.calls, clock=args.clock, threads=1)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (7)")
    parser.add_argument("--calls", type=int, default=20, help="calls per block (20)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="the clock the ratios use (cpu: process CPU time)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON file (default benchmarks/results/<env>.json)")
    parser.add_argument("--block-sweep", action="store_true",
                        help="only time smgrad's block sizes 2**14..2**22, written to "
                             "results/block-sweep-<cpu>-<env>.json (or --out); noisy: use more "
                             "rounds (--rounds 9), and keep --calls as make bench's")
    parser.add_argument("--commit", default=None,
                        help="the commit this tree is, where it is a copy whose git is not "
                             "the tree's (saved in the results as given; git is not asked)")
    args = parser.parse_args(argv)

    mx = try_import("mxnet")
    info = machine_info()
    print(f"{env_name()}: numpy {np.__version__}, torch {torch.__version__}, "
          f"scipy {versions(mx)['scipy']}, mxnet {getattr(mx, '__version__', 'not installed')}")
    print(f"{info['cpu']}, {info['logical_cores']} logical cores, load average "
          f"{info['load_average']}; one thread per library")
    print(f"logits {SHAPE} {np.dtype(DTYPE).name}; {args.rounds} rounds x {args.calls} calls "
          f"per contender, alternating")

    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE, dtype=DTYPE)
    grad_out = rng.standard_normal(SHAPE, dtype=DTYPE)
    if args.block_sweep:
        sweep = block_sweep(x, grad_out, args.rounds, args.calls, args.clock)
        info["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
        save(dict(env=env_name(), versions=versions(mx), machine=info,
                  provenance=provenance(args.commit), settings=settings(args), **sweep),
             args.out or RESULTS / f"block-sweep-{cpu_slug(info['cpu'])}-{env_name()}.json")
        return 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # MXNet's, about numpy APIs
        fwd = forward_contenders(x, mx)
        time_alternating(fwd, args.rounds, args.calls)
        bwd = backward_contenders(x, grad_out, mx)
        time_alternating(bwd, args.rounds, args.calls)
    results = dict(env=env_name(), versions=versions(mx), machine=info,
                   provenance=provenance(args.commit), settings=settings(args))
    results["date"] = results["provenance"]["date"]
    results[FORWARD] = summarize("Forward, softmax", fwd, args.clock)
    results[BACKWARD] = summarize("Backward, softmax VJP", bwd, args.clock)
    results["targets"] = check_targets({FORWARD: fwd, BACKWARD: bwd}, args.clock)
    results["jacobian_vs_vjp"] = jacobian_vs_vjp(min(args.rounds, 5), budget_s=0.05,
                                                  clock=args.clock)
    results["machine"]["load_average_end"] = [round(v, 2) for v in os.getloadavg()]

    save(results, args.out or RESULTS / f"{env_name()}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
