"""Derivatives of an MLP with respect to its inputs, by Taylor mode (forward propagation of jets).

For a direction e_i (input column i), the value a, the first derivative a' = ∂a/∂x_i and the pure second
derivative a'' = ∂²a/∂x_i² of every layer follow from the previous layer's in one pass:

    affine  a = W h + b:   a' = W h',   a'' = W h''
    σ:      s = σ(a):      s' = σ'(a) a',   s'' = σ''(a) a'² + σ'(a) a''

The value and all directions are stacked into one (K, N, features) tensor, K = 1 + #first + #second,
so each weight matrix is one matrix product of K·N rows: about K forward passes in all, no nested
reverse-mode graphs. The activation step is one autograd Function with a hand-written backward
(derived from the lines above; checked by gradcheck in the tests), which keeps the number of
N × features temporaries small — the elementwise work, not the matrix products, dominates a naive version.
The loss is then differentiated w.r.t. the weights by ordinary backpropagation through this pass.

Training uses :class:`_MLPJet`, the whole pass and its backward as one autograd Function: rows are
processed in chunks small enough for the (n, K, features) working set to stay in cache, which makes
the elementwise work several times cheaper than on full N × features buffers; tanh is evaluated as
2 sigmoid(2a) - 1 (about 3× cheaper than torch.tanh on CPU). With ``tape`` (Levenberg–Marquardt needs
every layer's pre-activation as an autograd node) the layer-by-layer :class:`_ActivationJet` is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

import torch

from nnphys.models.mlp import MLP


def _tanh(a, third: bool):
    s = torch.tanh(a)
    d1 = 1 - s * s
    d2 = -2 * s * d1
    return s, d1, d2, (-2 * d1 * (1 - 3 * s * s) if third else None)


def _sin(a, third: bool):
    s, c = torch.sin(a), torch.cos(a)
    return s, c, -s, (-c if third else None)


# activation -> value and first three derivatives (the third only when asked), sharing work
DERIVATIVES = {"tanh": _tanh, "sin": _sin}


class _ActivationJet(torch.autograd.Function):
    """Stacked pre-activations H = [a - b, a'_1..a'_D, a''_1..a''_S] (bias b added to the value slot)
    -> [s, s'_1..s'_D, s''_1..s''_S]; ``sel[k]`` is the first-derivative slot of second direction k."""

    @staticmethod
    def forward(ctx, h, bias, n_first, sel, activation):
        a = h[0] + bias
        da, d2a = h[1:1 + n_first], h[1 + n_first:]
        s, s1, s2, _ = DERIVATIVES[activation](a, False)
        out = torch.empty_like(h)
        out[0] = s
        torch.mul(da, s1, out=out[1:1 + n_first])
        if sel:
            p = da[sel]
            torch.mul(p * p, s2, out=out[1 + n_first:])
            out[1 + n_first:].addcmul_(d2a, s1)
        ctx.save_for_backward(h, bias)
        ctx.n_first, ctx.sel, ctx.activation = n_first, sel, activation
        return out

    @staticmethod
    def backward(ctx, g):
        h, bias = ctx.saved_tensors
        n_first, sel = ctx.n_first, ctx.sel
        a = h[0] + bias
        da, d2a = h[1:1 + n_first], h[1 + n_first:]
        _, s1, s2, s3 = DERIVATIVES[ctx.activation](a, bool(sel))
        gs, gda, gd2a = g[0], g[1:1 + n_first], g[1 + n_first:]
        gh = torch.empty_like(h)
        # ∂/∂a:  gs σ' + Σ_j g'_j a'_j σ'' + Σ_k g''_k (σ''' p_k² + σ'' a''_k)
        # accumulated slot by slot in place: .sum(0) over the few slots would zero-fill N × features buffers
        ga = gs * s1
        acc = None
        if n_first:
            acc = gda[0] * da[0]
            for j in range(1, n_first):
                acc.addcmul_(gda[j], da[j])
            torch.mul(gda, s1, out=gh[1:1 + n_first])
        if sel:
            p = da[sel]
            acc3 = gd2a[0] * p[0] * p[0]
            acc.addcmul_(gd2a[0], d2a[0])
            for k in range(1, len(sel)):
                acc3.addcmul_(gd2a[k] * p[k], p[k])
                acc.addcmul_(gd2a[k], d2a[k])
            ga.addcmul_(acc3, s3)
            torch.mul(gd2a, s1, out=gh[1 + n_first:])
            # ∂/∂a'_j gets 2 g''_k σ'' p_k from each second direction k built on slot j
            gh[1:1 + n_first].index_add_(0, torch.tensor(sel, device=h.device), 2 * gd2a * p * s2)
        if acc is not None:
            ga.addcmul_(acc, s2)
        gh[0] = ga
        return gh, ga.sum(0), None, None, None


def _tanh_value(a, s, d1):
    # tanh a = 2 sigmoid(2a) - 1: torch's sigmoid kernel is vectorized, its tanh is ~3x slower on CPU
    torch.sigmoid(a.mul_(2), out=s).mul_(2).sub_(1)
    torch.mul(s, s, out=d1)
    d1.neg_().add_(1)


def _sin_value(a, s, d1):
    torch.sin(a, out=s)
    torch.cos(a, out=d1)


def _tanh_higher(s, d1, third: bool):
    # scalars applied in place: an out-of-place scalar product wraps the scalar in a tensor every call
    d2 = torch.mul(s, d1).mul_(-2)
    return d2, (torch.mul(s, s).mul_(6).sub_(2).mul_(d1) if third else None)


def _sin_higher(s, d1, third: bool):
    return -s, (-d1 if third else None)


# activation -> ((a, s, d1) -> σ(a), σ'(a) written into s, d1; a may be overwritten),
#               ((σ, σ') -> σ'', σ''' (the third only when asked))
FROM_VALUE = {"tanh": (_tanh_value, _tanh_higher), "sin": (_sin_value, _sin_higher)}
# rows per chunk are chosen so that one (rows, K, features) block is about this many bytes (fits in L2)
CHUNK_BYTES = 1 << 20


@contextmanager
def _unfilled():
    """Skip the NaN fill of new buffers that deterministic mode adds: :class:`_MLPJet` writes every element
    of its buffers before reading it, and the fill costs as much as a layer's elementwise work."""
    flag = torch.utils.deterministic.fill_uninitialized_memory
    torch.utils.deterministic.fill_uninitialized_memory = False
    try:
        yield
    finally:
        torch.utils.deterministic.fill_uninitialized_memory = flag


class _MLPJet(torch.autograd.Function):
    """The whole stacked jet pass: h0 (N, K, f0) -> (N, K, d_out), slots ordered as in :class:`_ActivationJet`
    (value, ``n_first`` first derivatives, second derivatives built on first slots ``sel``).

    ``params`` = W_1, b_1, ..., W_L, b_L. Saved for the backward: every layer's input H_l (N, K, f_l),
    pre-activation Z_l (N, K, f) (the value slot is scratch) and σ' of the value slot; σ itself is H_{l+1}[:, 0].
    """

    @staticmethod
    def forward(ctx, h0, n_first, sel, activation, *params):
        with _unfilled():
            return _MLPJet._forward(ctx, h0, n_first, sel, activation, *params)

    @staticmethod
    def _forward(ctx, h0, n_first, sel, activation, *params):
        n, k = h0.shape[:2]
        value, higher = FROM_VALUE[activation]
        ws, bs = params[0::2], params[1::2]
        hs = [h0.contiguous()] + [h0.new_empty(n, k, w.shape[0]) for w in ws[:-1]]
        zs = [h0.new_empty(n, k, w.shape[0]) for w in ws[:-1]]
        d1s = [h0.new_empty(n, w.shape[0]) for w in ws[:-1]]
        out = h0.new_empty(n, k, ws[-1].shape[0])
        rows = max(1, CHUNK_BYTES // (k * max(w.shape[0] for w in ws) * h0.element_size()))
        for r0 in range(0, n, rows):
            r = slice(r0, min(r0 + rows, n))
            for l, (w, b) in enumerate(zip(ws[:-1], bs[:-1])):
                h, z, nxt, d1 = hs[l][r], zs[l][r], hs[l + 1][r], d1s[l][r]
                m = h.shape[0]
                torch.mm(h.view(m * k, -1), w.t(), out=z.view(m * k, -1))
                z[:, 0].add_(b)
                s = nxt[:, 0]
                value(z[:, 0], s, d1)
                for j in range(1, 1 + n_first):  # slot by slot: a broadcast d1[:, None] is several times slower
                    torch.mul(z[:, j], d1, out=nxt[:, j])
                if sel:
                    d2, _ = higher(s, d1, False)
                    for j, i in enumerate(sel):
                        # σ'' z'_i² + σ' z''_j
                        t = d2 * z[:, 1 + i]
                        t.mul_(z[:, 1 + i])
                        torch.addcmul(t, d1, z[:, 1 + n_first + j], out=nxt[:, 1 + n_first + j])
            h, o = hs[-1][r], out[r]
            torch.mm(h.view(h.shape[0] * k, -1), ws[-1].t(), out=o.view(h.shape[0] * k, -1))
            o[:, 0].add_(bs[-1])
        ctx.save_for_backward(*hs, *zs, *d1s, *ws)
        ctx.n_first, ctx.sel, ctx.activation, ctx.rows, ctx.layers = n_first, sel, activation, rows, len(ws)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g_out):
        with _unfilled():
            return _MLPJet._backward(ctx, g_out)

    @staticmethod
    def _backward(ctx, g_out):
        n_layers, n_first, sel, rows = ctx.layers, ctx.n_first, ctx.sel, ctx.rows
        saved = ctx.saved_tensors
        hs, zs = saved[:n_layers], saved[n_layers:2 * n_layers - 1]
        d1s, ws = saved[2 * n_layers - 1:3 * n_layers - 2], saved[3 * n_layers - 2:]
        higher = FROM_VALUE[ctx.activation][1]
        g_out = g_out.contiguous()
        n, k = g_out.shape[:2]
        gws = [torch.zeros_like(w) for w in ws]
        gbs = [w.new_zeros(w.shape[0]) for w in ws]
        gh0 = torch.empty_like(hs[0]) if ctx.needs_input_grad[0] else None
        for r0 in range(0, n, rows):
            r = slice(r0, min(r0 + rows, n))
            g = g_out[r]
            m = g.shape[0]
            # accumulated as Hᵀ G into the transposed view: MKL is much slower at Gᵀ H for narrow H or G
            gws[-1].t().addmm_(hs[-1][r].view(m * k, -1).t(), g.view(m * k, -1))
            gbs[-1] += g[:, 0].sum(0)
            gh = torch.mm(g.view(m * k, -1), ws[-1]).view(m, k, -1)
            for l in range(n_layers - 2, -1, -1):
                z, d1, s = zs[l][r], d1s[l][r], hs[l + 1][r][:, 0]
                d2, d3 = higher(s, d1, bool(sel))
                gz = torch.empty_like(z)
                # ∂/∂z'_j = g'_j σ' (+ 2 g''_k σ'' z'_j for each second direction k on slot j)
                for j in range(1, 1 + n_first):
                    torch.mul(gh[:, j], d1, out=gz[:, j])
                # ∂/∂z_0 = g_0 σ' + σ'' Σ (g'_j z'_j + g''_k z''_k) + σ''' Σ_k g''_k z'_j(k)²
                acc = None
                for j in range(1, 1 + n_first):
                    acc = gh[:, j] * z[:, j] if acc is None else acc.addcmul_(gh[:, j], z[:, j])
                acc3 = None
                for j, i in enumerate(sel):
                    g2, zi = gh[:, 1 + n_first + j], z[:, 1 + i]
                    torch.mul(g2, d1, out=gz[:, 1 + n_first + j])
                    gz[:, 1 + i].addcmul_(g2 * d2, zi, value=2)
                    acc.addcmul_(g2, z[:, 1 + n_first + j])
                    t = g2 * zi
                    t.mul_(zi)
                    acc3 = t if acc3 is None else acc3.add_(t)
                g0 = gz[:, 0]
                torch.mul(gh[:, 0], d1, out=g0)
                if acc is not None:
                    g0.addcmul_(acc, d2)
                if acc3 is not None:
                    g0.addcmul_(acc3, d3)
                gbs[l] += g0.sum(0)
                gws[l].t().addmm_(hs[l][r].view(m * k, -1).t(), gz.view(m * k, -1))
                if l:
                    gh = torch.mm(gz.view(m * k, -1), ws[l]).view(m, k, -1)
                elif gh0 is not None:
                    torch.mm(gz.view(m * k, -1), ws[0], out=gh0[r].view(m * k, -1))
        return (gh0, None, None, None, *(g for pair in zip(gws, gbs) for g in pair))


def jet(model: MLP, x: torch.Tensor, first: Sequence[int] = (), second: Sequence[int] = (),
        tape: list | None = None):
    """Value and derivatives of ``model`` at ``x`` (N, d_in).

    Returns ``(u, du, d2u)``: u (N, d_out); du {i: ∂u/∂x_i} for i in ``first`` ∪ ``second``;
    d2u {i: ∂²u/∂x_i²} for i in ``second``, each (N, d_out).
    ``tape``, if given, receives (layer, stacked input (K, N, in), pre-activation before bias (K, N, out))
    per layer: what per-point Jacobians w.r.t. the weights are made of (see levenberg_marquardt).
    """
    dirs = sorted(set(first) | set(second))
    second = sorted(set(second))
    n_first = len(dirs)
    sel = [dirs.index(i) for i in second]
    slots = [model.embed(x)]
    jets = {i: model.embed_jet(x, i) for i in dirs}
    slots += [jets[i][0] for i in dirs] + [jets[i][1] for i in second]
    if tape is None:
        params = [p for layer in model.layers for p in (layer.weight, layer.bias)]
        h = _MLPJet.apply(torch.stack(slots, 1), n_first, sel, model.activation, *params).transpose(0, 1)
        return _unstack(h, dirs, second)
    h = torch.stack(slots)  # (K, N, features)
    for layer in model.layers:
        pre = torch.matmul(h, layer.weight.T)
        tape.append((layer, h, pre))
        if layer is model.layers[-1]:
            break
        h = _ActivationJet.apply(pre, layer.bias, n_first, sel, model.activation)
    return _unstack(torch.cat([(pre[0] + model.layers[-1].bias)[None], pre[1:]]), dirs, second)


def _unstack(h, dirs, second):
    """(K, N, d_out) stacked slots -> (u, du, d2u) as returned by :func:`jet`."""
    du = {i: h[1 + j] for j, i in enumerate(dirs)}
    d2u = {i: h[1 + len(dirs) + j] for j, i in enumerate(second)}
    return h[0], du, d2u


def named(outputs: Sequence[str], inputs: Sequence[str], u, du, d2u) -> tuple[dict, dict]:
    """Name a jet the way physics residuals read it: fields {"u": ...}, derivs {"u_t", "u_xx", ...}."""
    fields = {name: u[:, j] for j, name in enumerate(outputs)}
    derivs = {}
    for i, d in du.items():
        derivs.update({f"{name}_{inputs[i]}": d[:, j] for j, name in enumerate(outputs)})
    for i, d in d2u.items():
        derivs.update({f"{name}_{inputs[i] * 2}": d[:, j] for j, name in enumerate(outputs)})
    return fields, derivs
