"""U-Net: an encoder-decoder with skip connections at every resolution.

Shapes: ``(N, C_in, H, W) -> (N, C_out, H, W)`` with ``H, W`` divisible by ``patch * 2**depth``.
Level ``i`` has ``width * 2**i`` channels; the decoder concatenates the encoder's
maps of the same resolution, so fine detail does not have to pass the bottleneck.

Options (defaults: the plain U-Net):

``patch``     pixel-unshuffle the input into ``patch x patch`` blocks (``C_in * patch**2`` channels on an
              ``H/patch x W/patch`` grid) and pixel-shuffle the output back: every convolution then runs on a
              grid ``patch**2`` times smaller, the main cost on a CPU (``patch: 2`` trains ~3x faster per sample).
              The grid then needs sides divisible by ``patch * 2**depth``; shifts by an odd number of points
              are no longer exactly equivariant.
``dropout``   drop each block's output features with this probability while training and in Monte Carlo passes
              (:mod:`nnphys.models.dropout`); off in eval mode.
``residual``  :class:`~nnphys.models.conv.ResBlock` s (shortcut around the two convolutions, the second one
              zero-initialized): each block starts as its shortcut, which suits operators close to linear
              (Poisson, a heat step) and keeps a deep path stable at a high learning rate.
"""

from __future__ import annotations

import torch
from torch import nn

from nnphys.models.conv import block, check_divisible, down, up


class UNet(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, width: int = 16, depth: int = 4,
                 periodic: bool = True, residual: bool = False, patch: int = 1, dropout: float = 0.0):
        super().__init__()
        self.depth, self.patch = depth, patch
        w = [width * 2**i for i in range(depth + 1)]
        self.unshuffle, self.shuffle = nn.PixelUnshuffle(patch), nn.PixelShuffle(patch)
        self.inc = block(in_channels * patch**2, w[0], periodic, residual, dropout)
        self.downs = nn.ModuleList(nn.Sequential(down(w[i], w[i + 1], periodic),
                                                 block(w[i + 1], w[i + 1], periodic, residual, dropout))
                                   for i in range(depth))
        self.ups = nn.ModuleList(up(w[i + 1], w[i], periodic) for i in range(depth))
        self.merges = nn.ModuleList(block(2 * w[i], w[i], periodic, residual, dropout) for i in range(depth))
        self.out = nn.Conv2d(w[0], out_channels * patch**2, 1)
        nn.init.zeros_(self.out.weight)  # start from a zero prediction: the He-initialized path may be large

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_divisible(x.shape[-2], x.shape[-1], self.depth, "unet", self.patch)
        skips = [self.inc(self.unshuffle(x))]
        for d in self.downs:
            skips.append(d(skips[-1]))
        h = skips.pop()
        for i in reversed(range(self.depth)):
            h = self.merges[i](torch.cat([skips.pop(), self.ups[i](h)], dim=1))
        return self.shuffle(self.out(h))
