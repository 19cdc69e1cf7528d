"""CNN encoder-decoder (the tutorial's part 3): strided convolutions down to a latent
bottleneck, upsampling convolutions back, no skip connections.

Shapes: ``(N, C_in, H, W) -> (N, C_out, H, W)`` with ``H, W`` divisible by ``2**depth``.
The bottleneck holds ``latent_channels`` maps of ``H/2**depth x W/2**depth``: everything
the decoder knows about the input passes through it, which is the point of the design
(dimension reduction) and its limit (fine detail is lost; a U-Net's skips restore it). ``residual``: every block
a :class:`~nnphys.models.conv.ResBlock` (a linear shortcut around two convolutions) and one more after each
resampling, so each level computes at its resolution before passing on, as in the U-Net. ``dropout`` drops the
features of the full-resolution blocks with that probability while training and in Monte Carlo passes.
"""

from __future__ import annotations

import torch
from torch import nn

from nnphys.models.conv import block, check_divisible, down, up


class EncoderDecoder(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, width: int = 16, depth: int = 4,
                 latent_channels: int = 32, periodic: bool = True, residual: bool = False,
                 dropout: float = 0.0):
        super().__init__()
        self.depth = depth
        widths = [width * 2**i for i in range(depth)]

        def level(resample: nn.Module, c: int) -> list[nn.Module]:
            return [resample, block(c, c, periodic, residual=True)] if residual else [resample]

        self.inc = block(in_channels, width, periodic, residual, dropout)
        enc = [m for i in range(depth) for m in level(down(widths[i - 1] if i else width, widths[i], periodic),
                                                      widths[i])]
        self.encoder = nn.Sequential(*enc, nn.Conv2d(widths[-1], latent_channels, 1))
        dec = [m for i in reversed(range(depth))
               for m in level(up(latent_channels if i == depth - 1 else widths[i + 1], widths[i], periodic), widths[i])]
        self.decoder = nn.Sequential(*dec, block(widths[0], width, periodic, residual, dropout))
        self.out = nn.Conv2d(width, out_channels, 1)
        nn.init.zeros_(self.out.weight)  # start from a zero prediction: the He-initialized path may be large

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_divisible(x.shape[-2], x.shape[-1], self.depth, "encoder_decoder")
        return self.out(self.decoder(self.encoder(self.inc(x))))
