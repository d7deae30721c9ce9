"""Chapters 3 to 6: the VJP without a Jacobian, log-softmax's VJP, the batched Jacobian,
per-sample blocks, attention, log-sum-exp, the two-class loss, masking, bytes."""

import numpy as np

import smgrad
from smgrad import softmax_jacobian as jacobian_blocks

from .attempts_base import add, right, torch, wrong

# --- ch3-ex-vjp -------------------------------------------------------------------------------
K = "ch3-ex-vjp"


@right(K, "keepdims")
def _vjp(probs, grad_out):
    return probs * (grad_out - (grad_out * probs).sum(axis=-1, keepdims=True))


@right(K, "einsum for the inner product")
def _vjp_einsum(probs, grad_out):
    inner = np.einsum("bi,bi->b", grad_out, probs)
    return probs * (grad_out - inner[:, None])


@right(K, "a loop over rows")
def _vjp_loop(probs, grad_out):
    out = np.empty_like(probs)
    for b in range(probs.shape[0]):
        out[b] = probs[b] * (grad_out[b] - grad_out[b] @ probs[b])
    return out


@right(K, "float32")
def _vjp32(probs, grad_out):
    p, g = probs.astype(np.float32), grad_out.astype(np.float32)
    return p * (g - (g * p).sum(axis=1, keepdims=True))


if torch is not None:
    @right(K, "in torch, returns a tensor")
    def _vjp_torch(probs, grad_out):
        p, g = torch.from_numpy(probs), torch.from_numpy(grad_out)
        return p * (g - (g * p).sum(dim=-1, keepdim=True))


@wrong(K, "builds every (n, n) block", "Jacobian")
def _vjp_blocks(probs, grad_out):
    n = probs.shape[-1]
    jac = probs[:, :, None] * (np.eye(n) - probs[:, None, :])
    return np.einsum("bi,bij->bj", grad_out, jac)


if torch is not None:
    # PyTorch's allocations are invisible to tracemalloc: the check sees the tensors
    @wrong(K, "in torch, builds every (n, n) block with diag_embed", "Jacobian")
    def _vjp_torch_blocks(probs, grad_out):
        p, g = torch.from_numpy(probs), torch.from_numpy(grad_out)
        jac = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
        return (g[:, None, :] @ jac)[:, 0]

    @wrong(K, "torch.autograd.functional.jacobian, then a product", "Jacobian")
    def _vjp_torch_functional(probs, grad_out):
        logits = torch.log(torch.from_numpy(probs))
        jac = torch.autograd.functional.jacobian(lambda z: torch.softmax(z, -1), logits)
        return torch.einsum("bi,bibj->bj", torch.from_numpy(grad_out), jac)

    @wrong(K, "torch.func.vmap(jacrev), then a product", "Jacobian")
    def _vjp_torch_jacrev(probs, grad_out):
        logits = torch.log(torch.from_numpy(probs))
        jac = torch.func.vmap(torch.func.jacrev(lambda z: torch.softmax(z, -1)))(logits)
        return torch.einsum("bi,bij->bj", torch.from_numpy(grad_out), jac)

    @right(K, "torch.func.vmap of the one-row rule")
    def _vjp_torch_vmap(probs, grad_out):
        p, g = torch.from_numpy(probs), torch.from_numpy(grad_out)
        return torch.func.vmap(lambda s, h: s * (h - (h * s).sum()))(p, g)


@wrong(K, "no keepdims", "keepdims")
def _vjp_no_keepdims(probs, grad_out):
    return probs * (grad_out - (grad_out * probs).sum(axis=-1))


@wrong(K, "inner product over the batch axis", "axis")
def _vjp_axis0(probs, grad_out):
    return probs * (grad_out - (grad_out * probs).sum(axis=0, keepdims=True))


@wrong(K, "the diagonal only", "diagonal")
def _vjp_diag(probs, grad_out):
    return grad_out * probs * (1 - probs)


@wrong(K, "returns grad_out", "identity")
def _vjp_identity(probs, grad_out):
    return grad_out


@wrong(K, "one inner product for the whole batch", "batch")
def _vjp_whole_batch(probs, grad_out):
    return probs * (grad_out - (grad_out * probs).sum())


@wrong(K, "sign flipped", "sign")
def _vjp_sign(probs, grad_out):
    return probs * ((grad_out * probs).sum(axis=-1, keepdims=True) - grad_out)


@wrong(K, "not attempted (the stub)", None, verdict="not attempted")
def _vjp_stub(probs, grad_out):
    ...


# --- ch3-ex-log-softmax -----------------------------------------------------------------------
K = "ch3-ex-log-softmax"


@right(K, "g - s sum(g)")
def _ls(probs, grad_out):
    return grad_out - probs * grad_out.sum(axis=-1, keepdims=True)


@right(K, "einsum")
def _ls_einsum(probs, grad_out):
    return grad_out - np.einsum("bi,b->bi", probs, np.einsum("bj->b", grad_out))


@right(K, "a loop")
def _ls_loop(probs, grad_out):
    return np.array([g - s * g.sum() for s, g in zip(probs, grad_out)])


@right(K, "float32, as a list")
def _ls32(probs, grad_out):
    p, g = probs.astype(np.float32), grad_out.astype(np.float32)
    return (g - p * g.sum(axis=1, keepdims=True)).tolist()


@wrong(K, "the transposed Jacobian", "transposed")
def _ls_transposed(probs, grad_out):
    return grad_out - (grad_out * probs).sum(axis=-1, keepdims=True)


@wrong(K, "softmax's rule", "softmax")
def _ls_softmax_rule(probs, grad_out):
    return probs * (grad_out - (grad_out * probs).sum(axis=-1, keepdims=True))


@wrong(K, "builds I - 1 s^T per row", "Jacobian")
def _ls_blocks(probs, grad_out):
    jac = np.eye(probs.shape[-1]) - probs[:, None, :]
    return np.einsum("bi,bij->bj", grad_out, jac)


if torch is not None:
    @right(K, "in torch")
    def _ls_torch(probs, grad_out):
        p, g = torch.from_numpy(probs), torch.from_numpy(grad_out)
        return g - p * g.sum(dim=-1, keepdim=True)

    @wrong(K, "in torch, builds I - 1 s^T per row", "Jacobian")
    def _ls_torch_blocks(probs, grad_out):
        p, g = torch.from_numpy(probs), torch.from_numpy(grad_out)
        jac = torch.eye(p.shape[-1], dtype=p.dtype) - p[:, None, :]
        return torch.einsum("bi,bij->bj", g, jac)


@wrong(K, "sign flipped", "sign")
def _ls_sign(probs, grad_out):
    return probs * grad_out.sum(axis=-1, keepdims=True) - grad_out


@wrong(K, "returns grad_out", "identity")
def _ls_identity(probs, grad_out):
    return grad_out.copy()


# --- ch4-ex1: batched_jacobian ----------------------------------------------------------------
K = "ch4-ex1"


@right(K, "column * eye - column * row")
def _bj(probs):
    col, row = probs[..., :, None], probs[..., None, :]
    return col * np.eye(probs.shape[-1]) - col * row


@right(K, "einsum for the outer products")
def _bj_einsum(probs):
    n = probs.shape[-1]
    return np.einsum("...i,ij->...ij", probs, np.eye(n)) - np.einsum(
        "...i,...j->...ij", probs, probs)


@right(K, "matmul of a column and a row")
def _bj_matmul(probs):
    col = probs[..., :, None]
    return col * np.eye(probs.shape[-1]) - col @ np.swapaxes(col, -1, -2)


@right(K, "float32")
def _bj32(probs):
    p = probs.astype(np.float32)
    return p[..., :, None] * (np.eye(p.shape[-1], dtype=np.float32) - p[..., None, :])


@wrong(K, "a loop over rows", "Python loop")
def _bj_loop(probs):
    rows = probs.reshape(-1, probs.shape[-1])
    blocks = np.stack([np.diag(r) - np.outer(r, r) for r in rows])
    return blocks.reshape(probs.shape + (probs.shape[-1],))


def _one_block(row):
    return np.diag(row) - np.outer(row, row)


def _stack_blocks(rows):
    return np.stack([_one_block(r) for r in rows])


@wrong(K, "the loop in a helper it calls", "Python loop")
def _bj_helper_loop(probs):
    blocks = _stack_blocks(probs.reshape(-1, probs.shape[-1]))
    return blocks.reshape(probs.shape + (probs.shape[-1],))


@wrong(K, "np.apply_along_axis over the rows", "Python loop")
def _bj_apply(probs):
    flat = np.apply_along_axis(lambda r: _one_block(r).ravel(), -1, probs)
    return flat.reshape(probs.shape + (probs.shape[-1],))


def _outer(col):
    return col @ np.swapaxes(col, -1, -2)


@right(K, "with a loop-free helper of its own")
def _bj_helper(probs):
    col = probs[..., :, None]
    return col * np.eye(probs.shape[-1]) - _outer(col)


def _blocks_from_smgrad(probs):
    return smgrad.softmax_jacobian(probs)


@wrong(K, "smgrad in a helper it calls", "numpy only")
def _bj_helper_smgrad(probs):
    return _blocks_from_smgrad(probs)


@wrong(K, "calls smgrad", "numpy only")
def _bj_smgrad(probs):
    return smgrad.softmax_jacobian(probs)


@wrong(K, "smgrad under another name", "numpy only")
def _bj_alias(probs):
    return jacobian_blocks(probs)


@wrong(K, "one matrix for the flattened batch", "shape", verdict="wrong shape")
def _bj_flat(probs):
    f = probs.reshape(-1)
    return np.diag(f) - np.outer(f, f)


@wrong(K, "2-D only", "raised")
def _bj_2d(probs):
    return probs[:, :, None] * (np.eye(probs.shape[-1]) - probs[:, None, :])


@wrong(K, "the outer product only", "entries are wrong")
def _bj_outer(probs):
    return -probs[..., :, None] * probs[..., None, :]


@wrong(K, "sign flipped", "sign")
def _bj_sign(probs):
    return -_bj(probs)


# --- ch4-ex2: per-sample blocks ---------------------------------------------------------------
K = "ch4-ex2"


@right(K, "einsum diagonal")
def _blocks(full):
    return np.einsum("bibj->bij", full)


@right(K, "index arrays on both batch axes")
def _blocks_index(full):
    idx = np.arange(full.shape[0])
    return full[idx, :, idx, :]


@right(K, "sum over the second batch axis")
def _blocks_sum(full):
    return full.sum(axis=2)


@right(K, "a loop")
def _blocks_loop(full):
    return np.stack([full[b, :, b, :] for b in range(full.shape[0])])


@right(K, "float32")
def _blocks32(full):
    return np.einsum("bibj->bij", full.astype(np.float32))


@wrong(K, "transposed blocks", "transpose")
def _blocks_t(full):
    return np.einsum("bibj->bji", full)


@wrong(K, "sum over the last axis (the thread's slip)", "shape", verdict="wrong shape")
def _blocks_last(full):
    return full.sum(axis=-1)


@wrong(K, "sum over the first batch axis", "(3, 5, 5)", verdict="wrong shape")
def _blocks_first(full):
    return full.sum(axis=0)


@wrong(K, "the first block repeated", "entries are wrong")
def _blocks_first_only(full):
    return np.stack([full[0, :, 0, :]] * full.shape[0])


@wrong(K, "a reshape", "entries are wrong")
def _blocks_reshape(full):
    b, n = full.shape[:2]
    return full.reshape(b * n, b * n)[: b * n, :n].reshape(b, n, n)


# --- ch4-ex3: attention -----------------------------------------------------------------------
K = "ch4-ex3"


def _weights(scores, axis=-1):
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@right(K, "keepdims along -1")
def _att(scores, grad_weights):
    w = _weights(scores)
    return w * (grad_weights - (grad_weights * w).sum(axis=-1, keepdims=True))


@right(K, "smgrad along the last axis")
def _att_smgrad(scores, grad_weights):
    return smgrad.softmax_vjp(smgrad.softmax(scores, axis=-1), grad_weights, axis=-1)


@right(K, "einsum, float32")
def _att32(scores, grad_weights):
    w = _weights(scores.astype(np.float32))
    inner = np.einsum("bhqk,bhqk->bhq", grad_weights.astype(np.float32), w)
    return w * (grad_weights - inner[..., None])


@right(K, "reshaped to rows and back")
def _att_rows(scores, grad_weights):
    n = scores.shape[-1]
    w, g = _weights(scores.reshape(-1, n)), grad_weights.reshape(-1, n)
    return (w * (g - (g * w).sum(axis=1, keepdims=True))).reshape(scores.shape)


@wrong(K, "softmax over the queries", "queries")
def _att_axis(scores, grad_weights):
    w = _weights(scores, axis=-2)
    return w * (grad_weights - (grad_weights * w).sum(axis=-2, keepdims=True))


@wrong(K, "builds the blocks", "Jacobian")
def _att_blocks(scores, grad_weights):
    w = _weights(scores)
    jac = w[..., :, None] * (np.eye(w.shape[-1]) - w[..., None, :])
    return np.einsum("...i,...ij->...j", grad_weights, jac)


if torch is not None:
    @right(K, "in torch")
    def _att_torch(scores, grad_weights):
        w = torch.softmax(torch.from_numpy(scores), dim=-1)
        g = torch.from_numpy(grad_weights)
        return w * (g - (g * w).sum(dim=-1, keepdim=True))

    @wrong(K, "in torch, builds the blocks", "Jacobian")
    def _att_torch_blocks(scores, grad_weights):
        w = torch.softmax(torch.from_numpy(scores), dim=-1)
        jac = torch.diag_embed(w) - w[..., :, None] * w[..., None, :]
        return torch.einsum("...i,...ij->...j", torch.from_numpy(grad_weights), jac)


@wrong(K, "no keepdims", "raised")
def _att_no_keepdims(scores, grad_weights):
    w = _weights(scores)
    return w * (grad_weights - (grad_weights * w).sum(axis=-1))


@wrong(K, "returns the weights", "entries are wrong")
def _att_weights(scores, grad_weights):
    return _weights(scores)


@wrong(K, "the diagonal only", "entries are wrong")
def _att_diag(scores, grad_weights):
    w = _weights(scores)
    return w * (1 - w) * grad_weights


# --- ch5-ex1: stable log-sum-exp --------------------------------------------------------------
K = "ch5-ex1"


@right(K, "shift by the max")
def _lse(x):
    top = x.max()
    return top + np.log(np.exp(x - top).sum())


@right(K, "np.logaddexp.reduce")
def _lse_reduce(x):
    return np.logaddexp.reduce(x)


@right(K, "a loop with a running max")
def _lse_loop(x):
    top = max(x)
    total = 0.0
    for v in x:
        total += np.exp(v - top)
    return np.float32(top + np.log(total))


@right(K, "in float64, a Python float")
def _lse64(x):
    x64 = x.astype(np.float64)
    return float(x64.max() + np.log(np.exp(x64 - x64.max()).sum()))


@wrong(K, "no shift", "overflow")
def _lse_naive(x):
    return np.log(np.exp(x).sum())


@wrong(K, "float16", "float32", verdict="wrong type")
def _lse16(x):
    top = x.max()
    return np.float16(top + np.log(np.exp(x - top).sum()))


@wrong(K, "plus 0.03", "wrong value")
def _lse_plus(x):
    return np.float32(_lse(x) + 0.03)


@wrong(K, "the max alone", "wrong value")
def _lse_max(x):
    return x.max()


@wrong(K, "shift by the mean", "overflow")
def _lse_mean(x):
    m = x[np.isfinite(x)].mean()
    return m + np.log(np.exp(x - m).sum())


@wrong(K, "keepdims: shape (1,)", "single number", verdict="wrong shape")
def _lse_keepdims(x):
    top = x.max(keepdims=True)
    return top + np.log(np.exp(x - top).sum(keepdims=True))


@wrong(K, "returns a string", "a str", verdict="wrong type")
def _lse_str(x):
    return f"{float(_lse(x)):.4f}"


# --- ch5-ex2: the two-class loss --------------------------------------------------------------
K = "ch5-ex2"


@right(K, "shift and log1p")
def _bce(z):
    return np.maximum(-z, 0.0) + np.log1p(np.exp(-np.abs(z)))


@right(K, "np.logaddexp")
def _bce_logaddexp(z):
    return np.logaddexp(0.0, -z)


@right(K, "np.where on the sign")
def _bce_where(z):
    with np.errstate(over="ignore"):
        return np.where(z > 0, np.log1p(np.exp(-z)), -z + np.log1p(np.exp(z)))


@right(K, "a loop over the entries")
def _bce_loop(z):
    flat = [max(-v, 0.0) + np.log1p(np.exp(-abs(v))) for v in z.ravel()]
    return np.array(flat).reshape(z.shape)


@wrong(K, "as written", "overflow")
def _bce_naive(z):
    return np.log(1.0 + np.exp(-z))


@wrong(K, "the shift without log1p", "digit")
def _bce_shift(z):
    return np.maximum(-z, 0.0) + np.log(1.0 + np.exp(-np.abs(z)))


@wrong(K, "float32", "float64", verdict="wrong type")
def _bce32(z):
    z32 = z.astype(np.float32)
    return np.maximum(-z32, 0) + np.log1p(np.exp(-np.abs(z32)))


@wrong(K, "-log of the sigmoid", "overflow")
def _bce_sigmoid(z):
    return -np.log(1.0 / (1.0 + np.exp(-z)))


@wrong(K, "the loss of class 0", "entries are wrong")
def _bce_class0(z):
    return np.logaddexp(0.0, z)


# --- ch5-ex3: the masked softmax --------------------------------------------------------------
K = "ch5-ex3"


@right(K, "np.where then softmax_vjp")
def _mask(scores, keep, grad_probs):
    return smgrad.softmax_vjp(smgrad.softmax(np.where(keep, scores, -np.inf)), grad_probs)


@right(K, "by hand, probabilities zeroed")
def _mask_hand(scores, keep, grad_probs):
    e = np.exp(scores - scores.max(axis=-1, keepdims=True)) * keep
    s = e / e.sum(axis=-1, keepdims=True)
    return s * (grad_probs - (grad_probs * s).sum(axis=-1, keepdims=True))


@right(K, "a loop, float32")
def _mask_loop(scores, keep, grad_probs):
    out = np.zeros(scores.shape, np.float32)
    for b in range(len(scores)):
        x = np.where(keep[b], scores[b], -np.inf).astype(np.float32)
        s = np.exp(x - x.max())
        s /= s.sum()
        g = grad_probs[b].astype(np.float32)
        out[b] = s * (g - g @ s)
    return out


@wrong(K, "mask multiplied", "multiplied")
def _mask_times(scores, keep, grad_probs):
    return smgrad.softmax_vjp(smgrad.softmax(scores * keep), grad_probs)


@wrong(K, "mask not applied", "not applied")
def _mask_none(scores, keep, grad_probs):
    return smgrad.softmax_vjp(smgrad.softmax(scores), grad_probs)


@wrong(K, "-inf times the mask", "not finite")
def _mask_inf(scores, keep, grad_probs):
    with np.errstate(invalid="ignore"):
        masked = scores + (-np.inf) * ~keep
    return smgrad.softmax_vjp(smgrad.softmax(masked), grad_probs)


@wrong(K, "the gradient zeroed afterwards only", "entries are wrong")
def _mask_after(scores, keep, grad_probs):
    return smgrad.softmax_vjp(smgrad.softmax(scores), grad_probs) * keep


@wrong(K, "no return", "return")
def _mask_no_return(scores, keep, grad_probs):
    smgrad.softmax_vjp(smgrad.softmax(np.where(keep, scores, -np.inf)), grad_probs)


# --- speed-ex1: bytes of the whole Jacobian ---------------------------------------------------
K = "speed-ex1"
add(K, "(rows n)^2 * 4", "right", (6 * 10) ** 2 * 4)
add(K, "numpy int", "right", np.int64(6 * 10 * 6 * 10) * np.float32().itemsize)
add(K, "np.prod of the shape", "right", int(np.prod((6, 10, 6, 10))) * 4)
add(K, "the per-row blocks", "wrong", 6 * 10 * 10 * 4, says="blocks")
add(K, "entries, not bytes", "wrong", 3600, says="entries")
add(K, "8 bytes an entry", "wrong", 28800, says="float32")
add(K, "a float", "wrong type", 14400.0, says="int")
add(K, "a string", "wrong type", "14400", says="int")
add(K, "a guess", "wrong", 1000, says="value")
add(K, "not attempted", "not attempted", ...)
