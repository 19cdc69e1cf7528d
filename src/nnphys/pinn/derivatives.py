"""Derivatives of an MLP with respect to its inputs, by Taylor mode (forward propagation of jets).

For a direction e_i (input column i), the value a, the first derivative a' = ∂a/∂x_i and the pure second
derivative a'' = ∂²a/∂x_i² of every layer follow from the previous layer's in one pass:

    affine  a = W h + b:   a' = W h',   a'' = W h''
    σ:      s = σ(a):      s' = σ'(a) a',   s'' = σ''(a) a'² + σ'(a) a''

The value and all directions are stacked into one (K, N, features) tensor, K = 1 + #first + #second,
so each weight matrix is one matrix product of N·K rows: about K forward passes in all, no nested
reverse-mode graphs. The loss is then differentiated w.r.t. the weights by backpropagation through this
pass, whose backward (:meth:`JetPass.backward`, derived from the lines above; checked by gradcheck in the
tests) is written by hand: the elementwise work, not the matrix products, dominates a naive version.

On CPU, rows are processed in chunks small enough for the (rows, K, features) working set to stay in cache,
which makes the elementwise work several times cheaper than on full N × features buffers. Where the C
kernels were built (:mod:`nnphys.pinn.jet_kernels`), the whole pass, forward or backward, is one call: each
thread takes whole chunks through every layer, the matrix products on torch's BLAS single-threaded and the
elementwise work of a layer in one fused sweep. Otherwise each layer of a chunk is a few torch operations
on torch's intra-op threads, written as few as the algebra allows: σ' scales every derivative slot in one
product, constants ride in addcmul's scale, the bias joins tanh's argument in one operation, and tanh is
evaluated as 2 sigmoid(2a) - 1 (about 3× cheaper than torch.tanh on CPU). ``python -m nnphys.bench pinn``
times the default NLS run's Adam step both ways. The large per-layer buffers are reused from one pass to
the next.

Levenberg–Marquardt needs each row's Jacobian w.r.t. the weights, not their sum: ``jet(..., tape=[])``
records the pass, and :meth:`JetPass.backward` with ``per_row`` hands every layer's input H and
pre-activation gradient G, chunk by chunk, to the caller (the row's weight Jacobian is Σ_k G_kᵀ ⊗ H_k).
"""

from __future__ import annotations

import functools
import itertools
import math
import weakref
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from nnphys.models.mlp import MLP
from nnphys.pinn import jet_kernels


@dataclass(frozen=True)
class _Activation:
    """σ and its derivatives in the form the pass uses them, each a few whole-tensor operations.

    ``value(z, b, s, d1, c)`` writes σ(z + b) into ``s`` and σ'(z + b) into ``d1`` (``z`` may be overwritten;
    ``b`` is the layer's bias times ``bias_scale``; ``c`` maps numbers to 0-dim tensors of the pass's dtype).
    σ'' = c2 p(s, d1) and σ''' = c3 r(s, d1, c): the constants c2, c3 ride in addcmul's ``value``, so that
    no operation is spent on a scale."""
    value: Callable
    bias_scale: float
    p: Callable
    c2: float
    r: Callable
    c3: float


def _tanh_value(z, b, s, d1, c):
    # tanh a = 2 sigmoid(2a) - 1: torch's sigmoid kernel is vectorized, its tanh is ~3x slower on CPU;
    # b is twice the bias, so that 2a = 2z + 2b is one operation
    torch.add(b, z, alpha=2, out=z)
    torch.sigmoid(z, out=s)
    torch.add(c[-1], s, alpha=2, out=s)
    torch.addcmul(c[1], s, s, value=-1, out=d1)


def _sin_value(z, b, s, d1, c):
    z.add_(b)
    torch.sin(z, out=s)
    torch.cos(z, out=d1)


# tanh'' = -2 tanh tanh',  tanh''' = tanh' (4 - 6 tanh');  sin'' = -sin,  sin''' = -cos
ACTIVATIONS = {
    "tanh": _Activation(_tanh_value, 2.0, lambda s, d1: s * d1, -2.0,
                        lambda s, d1, c: torch.add(c[4], d1, alpha=-6).mul_(d1), 1.0),
    "sin": _Activation(_sin_value, 1.0, lambda s, d1: s, -1.0, lambda s, d1, c: d1, -1.0),
}
CONSTANTS = (-1, 1, 4)
# rows per chunk are chosen so that one (rows, K, features) block is about this many bytes (fits in L2)
CHUNK_BYTES = 1 << 20


@contextmanager
def _unfilled():
    """Skip the NaN fill of new buffers that deterministic mode adds: the pass writes every element
    of its buffers before reading it, and the fill costs as much as a layer's elementwise work."""
    flag = torch.utils.deterministic.fill_uninitialized_memory
    torch.utils.deterministic.fill_uninitialized_memory = False
    try:
        yield
    finally:
        torch.utils.deterministic.fill_uninitialized_memory = flag


class _Buffers:
    """Flat scratch buffers handed from one pass to the next. A fresh buffer of a pass's size (tens of MB)
    comes straight from the OS, and the first touch of its pages costs about a tenth of a training step.
    A pass's buffer comes back when the pass is garbage (its autograd graph freed); a few are kept."""

    keep = 4

    def __init__(self):
        self.free: list[torch.Tensor] = []  # most recently returned last

    def take(self, like: torch.Tensor, numel: int) -> torch.Tensor:
        for i, buf in enumerate(self.free):
            if buf.numel() == numel and buf.dtype == like.dtype and buf.device == like.device:
                return self.free.pop(i)
        with _unfilled():
            return like.new_empty(numel)

    def give(self, buf: torch.Tensor) -> None:
        self.free.append(buf)
        del self.free[:-self.keep]


_buffers = _Buffers()


class JetPass:
    """The stacked jet pass h0 (K, N, f0) -> (K, N, d_out) through the MLP with weights ``ws``, biases ``bs``.

    Slots: value, ``n_first`` first derivatives, then second derivatives built on first slots ``sel``.
    Kept for the backward, per chunk of m rows: every layer's input H_l (K, m, f_l), pre-activation
    Z_l (K, m, f) (the value slot is scratch on torch operations) and σ' of the value slot (m, f); σ itself is H_{l+1}[0].
    Slot-major within a chunk, so that each slot is one contiguous block: elementwise operations on a
    contiguous block run about 3× faster than on the same slot strided through a row-major (m, K, f) block.
    """

    def __init__(self, h0: torch.Tensor, n_first: int, sel: Sequence[int], activation: str,
                 ws: Sequence[torch.Tensor], bs: Sequence[torch.Tensor]):
        h0 = h0.contiguous()
        self.k, self.n = h0.shape[:2]
        self.n_first, self.sel, self.ws, self.bs = n_first, list(sel), list(ws), list(bs)
        self.act = ACTIVATIONS[activation]
        self.fused = jet_kernels.fused(h0, activation, self.k, n_first, self.sel)
        self.bias_in = list(bs[:-1]) if self.fused else [b * self.act.bias_scale for b in bs[:-1]]
        self.c = {v: h0.new_tensor(v) for v in CONSTANTS}
        self.whole = bool(self.fused and self.fused.whole and self.n and len(ws) > 1)
        if h0.device.type == "cpu":
            rows = max(1, CHUNK_BYTES // (self.k * max(w.shape[0] for w in ws) * h0.element_size()))
        else:  # an accelerator wants few large kernels
            rows = max(1, self.n)
        if self.whole:  # threads take whole chunks: as many for each, of about equal rows
            threads = torch.get_num_threads()
            count = -(-self.n // rows)
            rows = -(-self.n // min(self.n, count + -count % threads))
        self.chunks = [slice(r0, min(r0 + rows, self.n)) for r0 in range(0, self.n, rows)]
        # per chunk and hidden layer: its output (the next layer's input) and pre-activation (K, m, f) and σ' (m, f),
        # in one flat buffer; the C kernels get their addresses, torch operations views (made when first needed)
        widths = [w.shape[0] for w in ws[:-1]]
        self._shapes = [shape for r in self.chunks for f in widths
                        for shape in ((self.k, r.stop - r.start, f),) * 2 + ((r.stop - r.start, f),)]
        self._sizes = [math.prod(shape) for shape in self._shapes]
        self._h0 = h0
        self._scratch = _buffers.take(h0, sum(self._sizes))
        weakref.finalize(self, _buffers.give, self._scratch)
        self.layers = None
        if self.whole:
            addresses = (self._scratch.data_ptr() + h0.element_size() * offset
                         for offset in itertools.accumulate(self._sizes, initial=0))
            saved = list(zip(*[iter(addresses)] * 3))  # (h, z, d1) of chunk 0 layer 0, 0 1, ..., 1 0, ...
            self.layers = jet_kernels.Layers(ws, bs, self.chunks, h0, *zip(*saved))

    @functools.cached_property
    def _saved(self) -> tuple[list, list, list]:
        views = iter(part.view(shape) for part, shape in zip(self._scratch.split(self._sizes), self._shapes))
        saved = [], [], []  # [chunk][layer]: every layer's input H, every hidden layer's Z and σ'
        for r in self.chunks:
            hs, zs, d1s = [self._h0[:, r].contiguous()], [], []
            for _ in self.ws[:-1]:
                hs.append(next(views))
                zs.append(next(views))
                d1s.append(next(views))
            for all_, mine in zip(saved, (hs, zs, d1s)):
                all_.append(mine)
        return saved

    hs = property(lambda self: self._saved[0])
    zs = property(lambda self: self._saved[1])
    d1s = property(lambda self: self._saved[2])

    def forward(self) -> torch.Tensor:
        with _unfilled():
            out = self._h0.new_empty(self.k, self.n, self.ws[-1].shape[0])
            if self.whole:
                self.fused.pass_forward(self.layers, out)
                return out
            for c, r in enumerate(self.chunks):
                self._forward(c, out[:, r])
        return out

    def _forward(self, c: int, out: torch.Tensor) -> None:
        k, n_first, act = self.k, self.n_first, self.act
        for l, (w, b) in enumerate(zip(self.ws[:-1], self.bias_in)):
            h, z, nxt, d1 = self.hs[c][l], self.zs[c][l], self.hs[c][l + 1], self.d1s[c][l]
            m = h.shape[1]
            torch.mm(h.view(k * m, -1), w.t(), out=z.view(k * m, -1))
            if self.fused:
                self.fused.forward(z, b, nxt, d1)
                continue
            s = nxt[0]
            act.value(z[0], b, s, d1, self.c)
            if k == 1:
                continue
            # σ' times every derivative slot at once: all of a first derivative, the σ' z''_j of a second
            torch.mul(z[1:], d1, out=nxt[1:])
            if self.sel:
                p = act.p(s, d1)
                for j, i in enumerate(self.sel):
                    # + σ'' z'_i²
                    t = p * z[1 + i]
                    nxt[1 + n_first + j].addcmul_(t, z[1 + i], value=act.c2)
        h = self.hs[c][-1]
        o = torch.mm(h.view(k * h.shape[1], -1), self.ws[-1].t()).view(k, h.shape[1], -1)
        o[0].add_(self.bs[-1])
        out.copy_(o)

    def tangent(self, dh0: torch.Tensor | None, dws: Sequence[torch.Tensor | None],
                dbs: Sequence[torch.Tensor | None]) -> torch.Tensor:
        """Forward-mode derivative of the pass's output (K, N, d_out) along tangents of its input ``dh0``
        (K, N, f0) and of the weights ``dws`` and biases ``dbs`` (None: zero), from the lines above:

            affine  ȧ = Ẇ h + W ḣ (+ ḃ on the value slot)
            σ:      ṡ = σ' ȧ,   (s')˙ = σ'' ȧ a' + σ' (a')˙,
                    (s'')˙ = σ''' ȧ a'² + 2 σ'' a' (a')˙ + σ'' ȧ a'' + σ' (a'')˙

        This is what matrix-free Gauss–Newton needs: J v, the residuals' change along a weight direction v."""
        k, n_first, sel = self.k, self.n_first, self.sel
        with torch.no_grad():
            out = self._h0.new_empty(self.k, self.n, self.ws[-1].shape[0])
            for c, r in enumerate(self.chunks):
                dh = dh0[:, r] if dh0 is not None else None
                for l, (w, dw, db) in enumerate(zip(self.ws, dws, dbs)):
                    h = self.hs[c][l]
                    m = h.shape[1]
                    dz = (torch.mm(h.reshape(k * m, -1), dw.t()) if dw is not None
                          else h.new_zeros(k * m, w.shape[0])).view(k, m, -1)
                    if dh is not None:
                        dz.view(k * m, -1).addmm_(dh.reshape(k * m, -1), w.t())
                    if db is not None:
                        dz[0].add_(db)
                    if l == len(self.ws) - 1:
                        out[:, r] = dz
                        break
                    z, d1, s = self.zs[c][l], self.d1s[c][l], self.hs[c][l + 1][0]
                    d2 = self.act.p(s, d1) * self.act.c2
                    d3 = self.act.r(s, d1, self.c) * self.act.c3 if sel else None
                    dh = torch.empty_like(dz)
                    torch.mul(dz[0], d1, out=dh[0])
                    for j in range(1, 1 + n_first):
                        torch.mul(dz[j], d1, out=dh[j]).addcmul_(z[j] * d2, dz[0])
                    for j, i in enumerate(sel):
                        zi, dzi, zj = z[1 + i], dz[1 + i], z[1 + n_first + j]
                        t = torch.mul(dz[1 + n_first + j], d1)
                        t.addcmul_(d3 * dz[0], zi * zi).addcmul_(d2 * zi, dzi, value=2).addcmul_(d2 * dz[0], zj)
                        dh[1 + n_first + j] = t
        return out

    def backward(self, g_out: torch.Tensor, input_grad: bool = False,
                 per_row: Callable[[int, slice, torch.Tensor, torch.Tensor], None] | None = None):
        """Backpropagate ``g_out`` (K, N, d_out), the gradient of a scalar w.r.t. the pass's output.

        Without ``per_row``: returns (gradient w.r.t. h0 or None, [∂/∂W_l], [∂/∂b_l]). With it: calls
        ``per_row(layer, rows, H, G)`` for every chunk of rows, H (K, m, f_in) the layer's input and
        G (K, m, f_out) the gradient w.r.t. its pre-activation, and returns nothing (rows are not summed)."""
        if self.whole and per_row is None:
            return self._whole_backward(g_out, input_grad)
        # Hᵀ G (f_in, f_out) of every layer, laid out so that BLAS's column-major view of it has the longer side as
        # its rows: MKL is 2-3x slower the other way round for a narrow layer (the first's f_in, the last's f_out)
        sums = [w.new_zeros(w.shape).t() if w.shape[1] >= w.shape[0] else w.new_zeros(w.shape[1], w.shape[0])
                for w in self.ws]
        gbs = [w.new_zeros(w.shape[0]) for w in self.ws]

        def accumulate(l, r, h, gz):
            sums[l].addmm_(h.view(-1, h.shape[-1]).t(), gz.view(-1, gz.shape[-1]))

        # Two chunk-sized buffers, G of a layer and the gradient w.r.t. its input, reused from layer to layer and
        # chunk to chunk (a sink must not keep G): a new 1 MB tensor per layer and chunk often came as fresh pages
        # from the OS, ~12 000 page faults and a tenth of the Raissi-size step spent in the OS. A layer's input
        # width is the previous layer's output width, so the widest output bounds both.
        rows = max(r.stop - r.start for r in self.chunks)
        numel = self.k * rows * max(w.shape[0] for w in self.ws)
        bufs = [_buffers.take(g_out, numel) for _ in range(2)]
        with _unfilled(), torch.no_grad():
            gh0 = g_out.new_empty(self.k, self.n, self.ws[0].shape[1]) if input_grad else None
            for c, r in enumerate(self.chunks):
                self._backward(c, r, g_out[:, r].contiguous(), per_row or accumulate, gh0,
                               None if per_row else gbs, bufs)
        for buf in bufs:
            _buffers.give(buf)
        return None if per_row else (gh0, [acc.t() for acc in sums], gbs)

    def _whole_backward(self, g_out: torch.Tensor, input_grad: bool):
        """:meth:`backward` without ``per_row``, the whole pass in the C kernels."""
        sums = self.layers.weight_sums(g_out)
        gbs = [w.new_zeros(w.shape[0]) for w in self.ws]
        scratch = _buffers.take(g_out, 2 * torch.get_num_threads() * self.layers.scratch_len)
        with _unfilled():
            gh0 = g_out.new_empty(self.k, self.n, self.ws[0].shape[1]) if input_grad else None
        self.fused.pass_backward(self.layers, g_out.contiguous(), sums, gbs, gh0, scratch)
        _buffers.give(scratch)
        return gh0, self.layers.weights(sums), gbs

    def _backward(self, c: int, r: slice, gz: torch.Tensor, sink, gh0, gbs, bufs) -> None:
        """One chunk: ``sink(l, r, H, G)`` for every layer; the biases' gradients are added to ``gbs`` unless None.
        ``bufs``: two flat scratch tensors of at least K × rows × any layer's width elements."""
        ws, (g_buf, h_buf) = self.ws, bufs
        if gbs is not None:
            gbs[-1] += gz[0].sum(0)
        for l in range(len(ws) - 1, -1, -1):
            if l < len(ws) - 1:
                gz = g_buf[:gh.numel()].view(gh.shape)
                self._activation_backward(c, l, gh, None if gbs is None else gbs[l], gz)
            sink(l, r, self.hs[c][l], gz)
            k, m, f = gz.shape
            if l:
                gh = torch.mm(gz.view(-1, f), ws[l], out=h_buf[:k * m * ws[l].shape[1]].view(k * m, -1))
                gh = gh.view(k, m, -1)
            elif gh0 is not None:
                gh0[:, r] = torch.mm(gz.view(-1, f), ws[0]).view(k, m, -1)

    def _activation_backward(self, c: int, l: int, gh: torch.Tensor, gb: torch.Tensor | None,
                             gz: torch.Tensor) -> None:
        """Into ``gz``, the gradient w.r.t. layer l's pre-activation Z_l from the gradient ``gh`` w.r.t. its output
        H_{l+1}; unless ``gb`` is None, the bias's (its value slot summed over rows) is added to it."""
        z, d1, s = self.zs[c][l], self.d1s[c][l], self.hs[c][l + 1][0]
        if self.fused:
            self.fused.backward(z, s, d1, gh, gz, gb)
            return
        self._activation_backward_torch(z, d1, s, gh, gz)
        if gb is not None:
            gb += gz[0].sum(0)

    def _activation_backward_torch(self, z, d1, s, gh, gz) -> None:
        """:meth:`_activation_backward` in torch operations, into ``gz``."""
        k, n_first, act = self.k, self.n_first, self.act
        g0 = gz[0]
        torch.mul(gh[0], d1, out=g0)
        if k == 1:
            return
        # ∂/∂z'_j = g'_j σ' (+ 2 g''_k σ'' z'_j for each second direction k on slot j), ∂/∂z''_k = g''_k σ'
        torch.mul(gh[1:], d1, out=gz[1:])
        # ∂/∂z_0 = g_0 σ' + σ'' Σ_j g_j z_j (all derivative slots) + σ''' Σ_k g''_k z'_i(k)²
        acc = gh[1] * z[1]
        for j in range(2, k):
            acc.addcmul_(gh[j], z[j])
        p = act.p(s, d1)
        if self.sel:
            r = act.r(s, d1, self.c)
            for j, i in enumerate(self.sel):
                t = gh[1 + n_first + j] * z[1 + i]
                gz[1 + i].addcmul_(t, p, value=2 * act.c2)
                t.mul_(z[1 + i])
                g0.addcmul_(t, r, value=act.c3)
        g0.addcmul_(acc, p, value=act.c2)


class _MLPJet(torch.autograd.Function):
    """:class:`JetPass` as an autograd node: inputs h0 and W_1, b_1, ..., W_L, b_L."""

    @staticmethod
    def forward(ctx, h0, n_first, sel, activation, tape, *params):
        jet_pass = JetPass(h0, n_first, sel, activation, params[0::2], params[1::2])
        out = jet_pass.forward()
        ctx.jet_pass = jet_pass
        if tape is not None:
            tape.append(jet_pass)
        return out

    @staticmethod
    def jvp(ctx, dh0, n_first, sel, activation, tape, *dparams):
        return ctx.jet_pass.tangent(dh0, dparams[0::2], dparams[1::2])

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g_out):
        gh0, gws, gbs = ctx.jet_pass.backward(g_out, input_grad=ctx.needs_input_grad[0])
        return (gh0, None, None, None, None, *(g for pair in zip(gws, gbs) for g in pair))


@dataclass
class Record:
    """What :func:`jet` leaves on a tape: the pass, its stacked output (K, N, d_out), and the layers."""
    jet_pass: JetPass
    out: torch.Tensor
    layers: Sequence[torch.nn.Linear]


def jet(model: MLP, x: torch.Tensor, first: Sequence[int] = (), second: Sequence[int] = (),
        tape: list | None = None):
    """Value and derivatives of ``model`` at ``x`` (N, d_in).

    Returns ``(u, du, d2u)``: u (N, d_out); du {i: ∂u/∂x_i} for i in ``first`` ∪ ``second``;
    d2u {i: ∂²u/∂x_i²} for i in ``second``, each (N, d_out).
    ``tape``, if given, receives a :class:`Record` of the pass: what per-row Jacobians w.r.t. the weights
    are made of (see levenberg_marquardt).
    """
    dirs = sorted(set(first) | set(second))
    second = sorted(set(second))
    n_first = len(dirs)
    sel = [dirs.index(i) for i in second]
    slots = [model.embed(x)]
    jets = {i: model.embed_jet(x, i) for i in dirs}
    slots += [jets[i][0] for i in dirs] + [jets[i][1] for i in second]
    params = [p for layer in model.layers for p in (layer.weight, layer.bias)]
    passes = [] if tape is not None else None
    h = _MLPJet.apply(torch.stack(slots), n_first, sel, model.activation, passes, *params)
    if tape is not None:
        tape.append(Record(passes[0], h, list(model.layers)))
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
