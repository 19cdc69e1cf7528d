"""Fourier neural operator (Li et al., 2021), compact version.

Each layer is ``v -> GELU(K v + W v)`` (the last without the GELU: the projection follows)
where ``W`` is a 1x1 convolution and ``K`` a spectral convolution: ``rfft2``, multiply the
lowest ``modes x modes`` Fourier modes (both signs of the first axis) by learned complex
``width x width`` matrices, drop the rest, ``irfft2``. Lifting and projection are 1x1
convolutions (the projection through a hidden layer of ``2 width`` with GELU).

``residual=True`` gives the layers an identity mapping with the spectral convolution on the linear path,

    v -> v + K v + W2 GELU(W1 v)        (W1, W2 1x1 convolutions, W2 zero at initialization),

and a linear 1x1 projection: the nonlinearity lives in the channel MLPs' residual branches only, as in the
identity-mapped residual blocks of :mod:`nnphys.models.conv`. At initialization the network is the linear operator
``P (1 + K_L) ... (1 + K_1) L`` and it keeps that linear path while it learns; a linear solution operator (the
periodic Poisson ρ → φ, E; a heat step) is then in reach of gradient descent, where the classic layers must
learn to undo a GELU at every layer (README: the operator study). The network stays nonlinear in general.

The spectral convolution runs in the model's precision, but at least float32: a float64
model transforms in float64, and under bf16/fp16 autocast (CUDA training) the FFT and the
mode product stay in float32, which those half formats lack.

Shapes: ``(N, C_in, H, W) -> (N, C_out, H, W)`` for any ``H, W >= 2 * modes``. The
learned weights act on physical wavenumbers, so a model trained on one grid applies
to a finer grid of the same domain (zero-shot super-resolution). Without grid
coordinates as inputs the model commutes exactly with periodic translations.
Non-periodic fields are zero-padded by a quarter of each side before the FFT and
cropped after, so the FFT's periodicity does not couple opposite edges.

``spectral_basis="sine"`` is the FNO of a Dirichlet lattice (values on the n interior nodes x_i = i/(n+1) of a
box whose boundary holds zero): its spectral layers analyse in the lattice's own eigenbasis, the
orthonormal DST-I sines sin(k pi x_i), k = 1..modes, in which the 5-point Laplacian with zero boundary values
is diagonal (as the periodic one is in the Fourier basis), and synthesize from sines and cosines of the same
k along each axis (a central difference maps sin(k pi x) to cos(k pi x) times a factor of k: what E = -grad phi
needs). No padding; the weights act on physical modes, so a finer lattice of the same box runs the same model.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from nnphys.models.dropout import dropout as drop


class SpectralConv2d(nn.Module):
    """``irfft2(R * rfft2(v))`` with ``R`` a learned ``(C_in, C_out)`` complex matrix per kept mode."""

    def __init__(self, in_channels: int, out_channels: int, modes: int):
        super().__init__()
        self.modes = modes
        scale = 1.0 / math.sqrt(in_channels * out_channels)
        # Real storage (..., 2): optimizers and weight decay see plain real tensors.
        # Index 0: first-axis frequencies 0..modes-1; index 1: the negative ones -modes..-1.
        self.weight = nn.Parameter(scale * torch.randn(2, in_channels, out_channels, modes, modes, 2))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        h, w = v.shape[-2:]
        m = self.modes
        if h < 2 * m or w // 2 + 1 < m:
            raise ValueError(f"spectral convolution with {m} modes needs a grid of at least {2 * m}x{2 * m}, "
                             f"got {h}x{w}")
        with torch.autocast(v.device.type, enabled=False):
            return self._spectral(v.to(torch.promote_types(v.dtype, torch.float32))).to(v.dtype)

    def _spectral(self, v: torch.Tensor) -> torch.Tensor:
        n, c, h, w = v.shape
        m = self.modes
        v_hat = torch.fft.rfft2(v)
        kept = torch.cat([v_hat[:, :, :m, :m], v_hat[:, :, -m:, :m]], dim=2)  # (n, c, 2m, m)
        # Complex product as one real batched matmul per mode (CPU complex bmm is slow):
        # [Re v, Im v] @ [[Re R, Im R], [-Im R, Re R]] = [Re vR, Im vR].
        a = torch.cat([kept.real, kept.imag], dim=1).flatten(2).permute(2, 0, 1).contiguous()  # (modes, n, 2c)
        weight = self.weight.to(v.dtype)
        wr, wi = weight[..., 0], weight[..., 1]  # (2, c, o, m, m)
        block = torch.cat([torch.cat([wr, wi], dim=2), torch.cat([-wi, wr], dim=2)], dim=1)  # (2, 2c, 2o, m, m)
        block = block.permute(0, 3, 4, 1, 2).reshape(2 * m * m, 2 * c, -1).contiguous()  # (modes, 2c, 2o) in kept's order
        prod = torch.bmm(a, block).permute(1, 2, 0).reshape(n, 2, -1, 2 * m, m)
        prod = torch.complex(prod[:, 0], prod[:, 1])
        out = torch.zeros(n, prod.shape[1], h, w // 2 + 1, dtype=v_hat.dtype, device=v.device)
        out[:, :, :m, :m] = prod[:, :, :m]
        out[:, :, -m:, :m] = prod[:, :, m:]
        return torch.fft.irfft2(out, s=(h, w))


def half_period_bases(n: int, modes: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(S, C), each (modes, n): sqrt(2/(n+1)) sin(k pi x_i) and cos(k pi x_i), k = 1..modes, at the interior
    nodes x_i = i/(n+1), i = 1..n; the rows of S are orthonormal (the DST-I)."""
    x = torch.arange(1, n + 1, dtype=torch.float64) / (n + 1)
    k = torch.arange(1, modes + 1, dtype=torch.float64)
    phase = math.pi * k[:, None] * x[None, :]
    scale = math.sqrt(2 / (n + 1))
    return (scale * torch.sin(phase)).to(like), (scale * torch.cos(phase)).to(like)


class SineSpectralConv2d(nn.Module):
    """Spectral convolution of a Dirichlet lattice: sine coefficients a = S v Sᵀ of the lowest ``modes`` x ``modes``
    half-period harmonics, a learned ``(C_in, C_out)`` real matrix per mode and per synthesis pair (sin or cos
    along x) x (sin or cos along y), back to the lattice: Σ_pairs Bxᵀ (R_pair a) By."""

    PAIRS = ((0, 0), (1, 0), (0, 1), (1, 1))  # (x, y) basis: 0 sine, 1 cosine

    def __init__(self, in_channels: int, out_channels: int, modes: int):
        super().__init__()
        self.modes = modes
        scale = 1.0 / math.sqrt(in_channels * out_channels)
        self.weight = nn.Parameter(scale * torch.randn(in_channels, len(self.PAIRS), out_channels, modes, modes))
        self._bases: dict[tuple, tuple] = {}

    def bases(self, n: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        key = (n, like.dtype, like.device)
        if key not in self._bases:
            self._bases[key] = half_period_bases(n, self.modes, like)
        return self._bases[key]

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        h, w = v.shape[-2:]
        if min(h, w) < self.modes:
            raise ValueError(f"a sine spectral convolution with {self.modes} modes needs at least {self.modes} "
                             f"interior nodes per side, got {h}x{w}")
        with torch.autocast(v.device.type, enabled=False):  # as SpectralConv2d: at least float32
            u = v.to(torch.promote_types(v.dtype, torch.float32))
            bx, by = self.bases(h, u), self.bases(w, u)
            a = torch.einsum("kx,ncxy,ly->nckl", bx[0], u, by[0])
            b = torch.einsum("nckl,cpokl->npokl", a, self.weight.to(u.dtype))
            out = sum(torch.einsum("kx,nokl,ly->noxy", bx[i], b[:, p], by[j]) for p, (i, j) in enumerate(self.PAIRS))
        return out.to(v.dtype)


def channel_mlp(width: int, dropout: float) -> nn.Sequential:
    """``W2 GELU(W1 v)`` with 1x1 convolutions, ``W2`` zero: a residual branch that starts switched off."""
    mlp = nn.Sequential(nn.Conv2d(width, width, 1), nn.GELU(), drop(dropout), nn.Conv2d(width, width, 1))
    nn.init.zeros_(mlp[-1].weight)
    nn.init.zeros_(mlp[-1].bias)
    return mlp


class FNO(nn.Module):
    """Lifting, ``layers`` Fourier layers of ``width`` channels keeping ``modes`` modes, projection;
    ``residual`` the identity-mapped layers and linear projection of the module docstring;
    ``grid`` adds the node coordinates as two input channels (which breaks the shift equivariance);
    ``dropout`` p > 0 drops hidden features (after each GELU) with probability p while training and in Monte Carlo
    passes (:mod:`nnphys.models.dropout`); ``spectral_basis`` "fourier" (FFT, zero-padded if not ``periodic``) or "sine"
    (Dirichlet lattices, not ``periodic``: :class:`SineSpectralConv2d`, no padding)."""

    def __init__(self, in_channels: int, out_channels: int, width: int = 24, modes: int = 12, layers: int = 4,
                 residual: bool = False, grid: bool = False, periodic: bool = True, dropout: float = 0.0,
                 spectral_basis: str = "fourier"):
        super().__init__()
        if spectral_basis not in ("fourier", "sine"):
            raise ValueError(f"unknown FNO spectral basis {spectral_basis!r} (known: fourier, sine)")
        if spectral_basis == "sine" and periodic:
            raise ValueError("the sine basis is that of a lattice with zero boundary values; these fields are periodic")
        self.grid = grid
        self.pad = not periodic and spectral_basis == "fourier"
        self.lift = nn.Conv2d(in_channels + (2 if grid else 0), width, 1)
        conv = SineSpectralConv2d if spectral_basis == "sine" else SpectralConv2d
        self.spectral = nn.ModuleList(conv(width, width, modes) for _ in range(layers))
        self.residual = residual
        if residual:
            self.mlps = nn.ModuleList(channel_mlp(width, dropout) for _ in range(layers))
            self.project = nn.Conv2d(width, out_channels, 1)
            return
        self.pointwise = nn.ModuleList(nn.Conv2d(width, width, 1) for _ in range(layers))
        self.drop = drop(dropout)
        self.project = nn.Sequential(nn.Conv2d(width, 2 * width, 1), nn.GELU(), drop(dropout),
                                     nn.Conv2d(2 * width, out_channels, 1))

    @staticmethod
    def coordinates(x: torch.Tensor) -> torch.Tensor:
        """Node coordinates in [0, 1) as two channels, (N, 2, H, W)."""
        n, _, h, w = x.shape
        gx = torch.arange(h, device=x.device, dtype=x.dtype) / h
        gy = torch.arange(w, device=x.device, dtype=x.dtype) / w
        return torch.stack(torch.meshgrid(gx, gy, indexing="ij")).expand(n, 2, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if self.grid:
            x = torch.cat([x, self.coordinates(x)], dim=1)
        v = self.lift(x)
        if self.pad:
            v = F.pad(v, (0, w // 4, 0, h // 4))
        if self.residual:
            for k, mlp in zip(self.spectral, self.mlps):
                v = v + k(v) + mlp(v)
            return self.project(v[..., :h, :w])
        for i, (k, wpt) in enumerate(zip(self.spectral, self.pointwise)):
            v = k(v) + wpt(v)
            if i < len(self.spectral) - 1:
                v = self.drop(F.gelu(v))
        return self.project(v[..., :h, :w])
