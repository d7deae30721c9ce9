"""Chapters 2 and 2b: label smoothing, soft labels, a temperature, dL/dH, the fused loss
built in the engine."""

import numpy as np

import smgrad
from smgrad.autograd import Tensor, cross_entropy
from smgrad.autograd import cross_entropy as fused

from .attempts_base import right, torch, wrong


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- ch2-ex1: label smoothing -----------------------------------------------------------------
K = "ch2-ex1"


@right(K, "vectorised")
def _smooth(logits, targets, eps):
    t = (1 - eps) * targets + eps / logits.shape[-1]
    return (smgrad.softmax(logits) - t) / len(logits)


@right(K, "expanded: (s - (1 - eps) t - eps / n) / N")
def _expanded(logits, targets, eps):
    n, rows = logits.shape[-1], logits.shape[0]
    return (_softmax(logits) - (1 - eps) * targets - eps / n) / rows


@right(K, "a loop over rows")
def _rows_loop(logits, targets, eps):
    out = np.zeros_like(logits)
    for b in range(len(logits)):
        s = np.exp(logits[b] - logits[b].max())
        s /= s.sum()
        out[b] = s - ((1 - eps) * targets[b] + eps / len(s))
    return out / len(logits)


@right(K, "float32")
def _smooth32(logits, targets, eps):
    x, t = logits.astype(np.float32), targets.astype(np.float32)
    return (_softmax(x) - ((1 - eps) * t + np.float32(eps) / x.shape[-1])) / len(x)


if torch is not None:
    @right(K, "PyTorch autograd, returns a tensor")
    def _torch_smooth(logits, targets, eps):
        z = torch.tensor(logits, requires_grad=True)
        loss = torch.nn.functional.cross_entropy(
            z, torch.tensor(targets.argmax(axis=-1)), label_smoothing=eps)
        loss.backward()
        return z.grad


@wrong(K, "no smoothing", "smoothing")
def _no_smooth(logits, targets, eps):
    return (smgrad.softmax(logits) - targets) / len(logits)


@wrong(K, "the sum, not the mean", "N (the batch size) times too large")
def _summed(logits, targets, eps):
    return smgrad.softmax(logits) - ((1 - eps) * targets + eps / logits.shape[-1])


@wrong(K, "eps / N instead of eps / n", "entries are wrong")
def _eps_over_rows(logits, targets, eps):
    t = (1 - eps) * targets + eps / len(logits)
    return (smgrad.softmax(logits) - t) / len(logits)


@wrong(K, "t - s", "sign")
def _flipped(logits, targets, eps):
    return -_smooth(logits, targets, eps)


@wrong(K, "softmax over the batch axis", "entries are wrong")
def _axis0(logits, targets, eps):
    t = (1 - eps) * targets + eps / logits.shape[-1]
    return (smgrad.softmax(logits, axis=0) - t) / len(logits)


# --- ch2-ex2: targets that do not sum to one --------------------------------------------------
K = "ch2-ex2"


@right(K, "s * sum(t) - t")
def _soft(logits, targets):
    return (smgrad.softmax(logits) * targets.sum(-1, keepdims=True) - targets) / len(logits)


@right(K, "einsum for the row sums")
def _soft_einsum(logits, targets):
    total = np.einsum("bi->b", targets)[:, None]
    return (_softmax(logits) * total - targets) / logits.shape[0]


@right(K, "a loop")
def _soft_loop(logits, targets):
    out = []
    for x, t in zip(logits, targets):
        s = np.exp(x - x.max())
        out.append((s / s.sum() * t.sum() - t) / len(logits))
    return np.array(out)


@right(K, "float32, as a list")
def _soft_list(logits, targets):
    x, t = logits.astype(np.float32), targets.astype(np.float32)
    return ((_softmax(x) * t.sum(-1, keepdims=True) - t) / len(x)).tolist()


@wrong(K, "as if the targets summed to one", "sum to 1")
def _as_if_one(logits, targets):
    return (smgrad.softmax(logits) - targets) / len(logits)


@wrong(K, "targets normalised first", "entries are wrong")
def _normalised(logits, targets):
    t = targets / targets.sum(-1, keepdims=True)
    return (smgrad.softmax(logits) - t) / len(logits)


@wrong(K, "sum(t) without keepdims", "raised")
def _no_keepdims(logits, targets):
    return (smgrad.softmax(logits) * targets.sum(-1) - targets) / len(logits)


@wrong(K, "no mean", "N (the batch size) times too large")
def _no_mean(logits, targets):
    return smgrad.softmax(logits) * targets.sum(-1, keepdims=True) - targets


# --- ch2-ex3: a temperature -------------------------------------------------------------------
K = "ch2-ex3"


@right(K, "(s_T - t) / (N T)")
def _temp(logits, targets, T):
    return (smgrad.softmax(logits / T) - targets) / (len(logits) * T)


@right(K, "the chain rule written out")
def _temp_chain(logits, targets, T):
    grad_u = (_softmax(logits / T) - targets) / logits.shape[0]
    return grad_u * (1.0 / T)


@right(K, "cross_entropy_grad of x / T, times 1/T")
def _temp_smgrad(logits, targets, T):
    return smgrad.cross_entropy_grad(logits / T, targets) / T


@right(K, "float32")
def _temp32(logits, targets, T):
    x = logits.astype(np.float32) / np.float32(T)
    return (_softmax(x) - targets.astype(np.float32)) / np.float32(len(x) * T)


@wrong(K, "the 1/T missing", "T (the temperature) times too large")
def _no_inner(logits, targets, T):
    return (smgrad.softmax(logits / T) - targets) / len(logits)


@wrong(K, "1/T twice", "T (the temperature) times too small")
def _twice(logits, targets, T):
    return (smgrad.softmax(logits / T) - targets) / (len(logits) * T * T)


@wrong(K, "times T", "entries are wrong")
def _times_t(logits, targets, T):
    return (smgrad.softmax(logits * T) - targets) / (len(logits) * T)


@wrong(K, "no temperature at all", "entries are wrong")
def _no_temp(logits, targets, T):
    return (smgrad.softmax(logits) - targets) / len(logits)


# --- ch2b-ex1: dL/dH --------------------------------------------------------------------------
K = "ch2b-ex1"


@right(K, "errors @ W.T")
def _hidden(H, W, b, targets):
    return (smgrad.softmax(H @ W + b) - targets) / len(H) @ W.T


@right(K, "einsum")
def _hidden_einsum(H, W, b, targets):
    errors = (_softmax(np.einsum("bk,kj->bj", H, W) + b) - targets) / H.shape[0]
    return np.einsum("bj,kj->bk", errors, W)


@right(K, "a double loop")
def _hidden_loop(H, W, b, targets):
    errors = (smgrad.softmax(H @ W + b) - targets) / len(H)
    out = np.zeros_like(H)
    for row in range(H.shape[0]):
        for k in range(H.shape[1]):
            out[row, k] = np.dot(errors[row], W[k])
    return out


@right(K, "float32")
def _hidden32(H, W, b, targets):
    H, W, b = H.astype(np.float32), W.astype(np.float32), b.astype(np.float32)
    return ((_softmax(H @ W + b) - targets.astype(np.float32)) / len(H)) @ W.T


@wrong(K, "no 1/N", "N (the batch size) times too large")
def _hidden_sum(H, W, b, targets):
    return (smgrad.softmax(H @ W + b) - targets) @ W.T


@wrong(K, "W not transposed", "raised")
def _hidden_untransposed(H, W, b, targets):
    return (smgrad.softmax(H @ W + b) - targets) / len(H) @ W


@wrong(K, "W not transposed, a square layer", "as it stands")
def _hidden_square(H, W, b, targets):
    errors = (smgrad.softmax(H @ W + b) - targets) / len(H)
    return errors @ W if W.shape[0] == W.shape[1] else errors @ W.T


@wrong(K, "dW instead of dH", "wrong shape", verdict="wrong shape")
def _dw(H, W, b, targets):
    return H.T @ (smgrad.softmax(H @ W + b) - targets) / len(H)


@wrong(K, "relu's mask applied to the result", "entries are wrong")
def _masked(H, W, b, targets):
    return ((smgrad.softmax(H @ W + b) - targets) / len(H) @ W.T) * (H > 0)


# --- ch2b-ex2: the fused loss in the engine ---------------------------------------------------
K = "ch2b-ex2"


@right(K, "lse with a numpy shift")
def _engine(logits, targets):
    leaf = Tensor(logits, requires_grad=True)
    top = logits.max(axis=-1, keepdims=True)
    lse = (leaf - top).exp().sum(axis=-1).log() + top[:, 0]
    (lse - (leaf * targets).sum(axis=-1)).mean().backward()
    return leaf.grad


@right(K, "shift kept as a column, targets summed separately")
def _engine_col(logits, targets):
    leaf = Tensor(logits, requires_grad=True)
    shift = np.max(logits, axis=1, keepdims=True)
    log_z = (leaf - shift).exp().sum(axis=1, keepdims=True).log()
    per_row = (log_z * targets).sum(axis=1) - ((leaf - shift) * targets).sum(axis=1)
    per_row.mean().backward()
    return leaf.grad


@right(K, "a float32 leaf")
def _engine32(logits, targets):
    x = logits.astype(np.float32)
    leaf = Tensor(x, requires_grad=True)
    top = x.max(axis=-1, keepdims=True)
    lse = (leaf - top).exp().sum(axis=-1).log() + top[:, 0]
    loss = (lse - (leaf * targets.astype(np.float32)).sum(axis=-1)).mean()
    loss.backward()
    return leaf.grad


@right(K, "returned as a list")
def _engine_list(logits, targets):
    return _engine(logits, targets).tolist()


def log_softmax(leaf, shift):
    """The learner's own, from the engine's operations (not the engine's shortcut)."""
    shifted = leaf - shift
    return shifted - shifted.exp().sum(axis=-1, keepdims=True).log()


@right(K, "a helper of its own named log_softmax")
def _engine_own_log_softmax(logits, targets):
    leaf = Tensor(logits, requires_grad=True)
    picked = (log_softmax(leaf, logits.max(axis=-1, keepdims=True)) * targets)
    (-picked.sum(axis=-1)).mean().backward()
    return leaf.grad


def _fused_loss(leaf, targets):
    return cross_entropy(leaf, targets)


@wrong(K, "the engine's cross_entropy, in a helper it calls", "cross_entropy")
def _engine_helper_fused(logits, targets):
    leaf = Tensor(logits, requires_grad=True)
    _fused_loss(leaf, targets).backward()
    return leaf.grad


@wrong(K, "log of the engine's softmax", "not finite")
def _engine_log_softmax(logits, targets):
    leaf = Tensor(logits, requires_grad=True)
    picked = (leaf.softmax(axis=-1).log() * targets).sum(axis=-1)
    (-picked.mean()).backward()
    return leaf.grad


@wrong(K, "lse without a shift", "not finite")
def _engine_unshifted(logits, targets):
    leaf = Tensor(logits, requires_grad=True)
    lse = leaf.exp().sum(axis=-1).log()
    (lse - (leaf * targets).sum(axis=-1)).mean().backward()
    return leaf.grad


@wrong(K, "the sum, not the mean", "1/n")
def _engine_sum(logits, targets):
    leaf = Tensor(logits, requires_grad=True)
    top = logits.max(axis=-1, keepdims=True)
    lse = (leaf - top).exp().sum(axis=-1).log() + top[:, 0]
    (lse - (leaf * targets).sum(axis=-1)).sum().backward()
    return leaf.grad


@wrong(K, "the engine's cross_entropy", "cross_entropy")
def _engine_ready_made(logits, targets):
    leaf = Tensor(logits, requires_grad=True)
    cross_entropy(leaf, targets).backward()
    return leaf.grad


@wrong(K, "the engine's cross_entropy under another name", "cross_entropy")
def _engine_alias(logits, targets):
    leaf = Tensor(logits, requires_grad=True)
    fused(leaf, targets).backward()
    return leaf.grad


@wrong(K, "backward never called: .grad is None", "return")
def _engine_no_backward(logits, targets):
    leaf = Tensor(logits, requires_grad=True)
    top = logits.max(axis=-1, keepdims=True)
    (leaf - top).exp().sum(axis=-1).log()
    return leaf.grad


@wrong(K, "numpy only, no engine", "backward()")
def _engine_numpy(logits, targets):
    return (smgrad.softmax(logits) - targets) / len(logits)


@wrong(K, "sign flipped", "sign")
def _engine_sign(logits, targets):
    return -_engine(logits, targets)
