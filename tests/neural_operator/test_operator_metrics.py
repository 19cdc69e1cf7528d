"""Operator error metrics against their definitions."""

import numpy as np
import pytest

from nnphys.neural_operator import metrics as om
from nnphys.norms import rel_l2


def test_band_errors_add_up_to_each_channels_set_wide_error():
    """Parseval, per channel: the bands split the error energy exactly; reported are channel means."""
    rng = np.random.default_rng(0)
    true = rng.normal(size=(5, 2, 16, 16))
    pred = true + rng.normal(size=true.shape) * np.array([0.1, 0.3])[None, :, None, None]
    per_channel = [om.band_errors(true[:, [c]], pred[:, [c]]) for c in range(2)]
    for c, bands in enumerate(per_channel):
        assert sum(v**2 for v in bands.values()) == pytest.approx(float(rel_l2(true[:, c], pred[:, c])) ** 2, rel=1e-12)
    assert om.band_errors(true, pred) == pytest.approx({b: np.mean([p[b] for p in per_channel]) for b in per_channel[0]})


def test_band_errors_sort_an_error_by_its_wavenumber():
    x = np.arange(32) / 32
    true = np.ones((1, 1, 32, 32))
    for mode, band in ((1, "band_low"), (6, "band_mid"), (12, "band_high")):
        err = 0.1 * np.cos(2 * np.pi * mode * x)[None, None, :, None] * np.ones(32)
        bands = om.band_errors(true, true + err)
        assert bands[band] == pytest.approx(0.1 / np.sqrt(2)) and sum(bands.values()) == pytest.approx(bands[band])
