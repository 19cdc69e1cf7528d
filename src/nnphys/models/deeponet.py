"""DeepONet (Lu, Jin, Pang, Zhang & Karniadakis, Nature Machine Intelligence 2021), unstacked.

    G(f)(y) ≈ Σ_k b_k(f) τ_k(y) + b_0,     per output channel c

The branch net (an MLP) reads the whole input field ``f`` at the lattice points, flattened; the
trunk net (an MLP) reads a point ``y`` of the unit square and returns ``basis`` functions τ_k(y)
per output channel; their inner product over k, plus a bias, is the output at ``y``. The trunk is
evaluated once per forward on the lattice's points ``y = ((i + 1/2)/H, (j + 1/2)/W)``.
With ``periodic`` the trunk reads ``(cos 2πmy, sin 2πmy)`` per axis for m = 1 .. ``harmonics``, so every
output is periodic; an MLP fed only the first harmonic learns the finer basis functions slowly
(Poisson 32²: rel. L2 0.37 after 20 epochs with one harmonic). On a non-periodic lattice it reads half
periods, ``(cos πmy, sin πmy)``: the sines vanish on the boundary as a Dirichlet potential does, the
cosines do not, as its gradient does not (Dirichlet Poisson 32²: rel. L2 0.12 after 20 epochs, against
0.55 with the point y itself as the trunk's input).

Shapes: ``(N, C_in, H, W) -> (N, C_out, H, W)`` for the ``shape = (H, W)`` it was built for: the branch's
input size is fixed, so unlike the FNO it does not run on other grids, and nothing makes it commute
with shifts (an FNO or CNN does so by construction).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nnphys.models.dropout import dropout as drop


def mlp(n_in: int, width: int, depth: int, n_out: int, dropout: float = 0.0) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` with GELU (their features dropped with probability ``dropout`` while
    training and in Monte Carlo passes), then a linear layer to ``n_out``."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(n_in if i == 0 else width, width), nn.GELU(), drop(dropout)]
    layers.append(nn.Linear(width if depth else n_in, n_out))
    return nn.Sequential(*layers)


class DeepONet(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, shape: tuple[int, int] = (32, 32), width: int = 256,
                 depth: int = 1, basis: int = 128, harmonics: int = 8, periodic: bool = True, dropout: float = 0.0):
        super().__init__()
        self.shape, self.out_channels, self.basis, self.periodic = tuple(shape), out_channels, basis, periodic
        self.harmonics = harmonics
        h, w = self.shape
        self.branch = mlp(in_channels * h * w, width, depth, out_channels * basis, dropout)
        self.trunk = mlp(4 * harmonics, width, depth, out_channels * basis, dropout)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def points(self, device, dtype) -> torch.Tensor:
        """The trunk's inputs at the lattice's cell centres, ``(H W, 4 harmonics)``: cos and sin of m π y per axis,
        times 2 if periodic."""
        h, w = self.shape
        yy, xx = torch.meshgrid((torch.arange(h, device=device, dtype=dtype) + 0.5) / h,
                                (torch.arange(w, device=device, dtype=dtype) + 0.5) / w, indexing="ij")
        y = torch.stack([yy.flatten(), xx.flatten()], dim=1)
        m = torch.arange(1, self.harmonics + 1, device=device, dtype=dtype)[:, None]
        phase = (2 if self.periodic else 1) * math.pi * y[:, None, :] * m
        return torch.cat([torch.cos(phase), torch.sin(phase)], 1).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != self.shape:
            raise ValueError(f"deeponet built for a {self.shape[0]}x{self.shape[1]} grid, got "
                             f"{x.shape[-2]}x{x.shape[-1]} (its branch reads a fixed number of points)")
        n = x.shape[0]
        b = self.branch(x.flatten(1)).view(n, self.out_channels, self.basis)
        t = self.trunk(self.points(x.device, x.dtype)).view(-1, self.out_channels, self.basis)
        out = torch.einsum("nck,pck->ncp", b, t) / math.sqrt(self.basis) + self.bias[:, None]
        return out.view(n, self.out_channels, *self.shape)
