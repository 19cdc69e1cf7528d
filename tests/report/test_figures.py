"""Figures from saved files: every figure is written as PNG and PDF, the numbers behind them are right,
and a bad input file stops with a message naming the run and the file."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import fake
from nnphys.evaluation.figures import FORMATS, OPERATOR, PINN
from nnphys.evaluation.figures.operator import operator_figures, radial_spectrum, sample_errors
from nnphys.evaluation.figures.pinn import Slices, pinn_figures
from nnphys.evaluation.figures.summary import summary_figure
from nnphys.evaluation.style import Style
from nnphys.io import DataError, write_dataset
from nnphys.pinn.problems import PHYSICS

STYLE = Style(dpi=40)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def pinn_args(results, problem, run):
    d = results / "pinn" / problem / run
    return (f"{problem}/{run}", d / "prediction.nc", d / "history.nc",
            results / "reference" / f"{PHYSICS[problem]}.nc")


def test_radial_spectrum_puts_a_single_mode_in_its_shell_and_keeps_parseval():
    n = 16
    x = np.arange(n) / n
    f = np.cos(2 * np.pi * 3 * x)[:, None] * np.ones(n)[None, :] + 0.25 * np.cos(2 * np.pi * 5 * x)[None, :]
    spec = radial_spectrum(np.stack([f, -f]))
    assert np.sum(spec) == pytest.approx(np.mean(f**2))  # Parseval: 1/2 + 1/32
    assert spec[3] == pytest.approx(0.5) and spec[5] == pytest.approx(1 / 32)
    assert np.sum(np.delete(spec, [3, 5])) < 1e-25


def test_sample_error_is_the_relative_l2_norm_per_sample():
    truth = fake.prediction_poisson(n_samples=4)["phi"]
    eps = np.array([0.1, -0.02, 0.0, 0.5])
    assert sample_errors(truth, truth * (1 + eps[:, None, None])) == pytest.approx(np.abs(eps))


@pytest.mark.parametrize("problem, run", [("nls", "mlp-s0"), ("heat1d_inverse", "mlp-s0")])
def test_pinn_figures_are_written_as_png_and_pdf(results, tmp_path, problem, run):
    pinn_figures(*pinn_args(results, problem, run), tmp_path, STYLE, Slices("h_abs", (0.59, 0.79, 0.98))
                 if problem == "nls" else Slices())
    for name in PINN:
        for fmt in FORMATS:
            assert (tmp_path / f"{name}.{fmt}").stat().st_size > 1000
    width, _ = png_size(tmp_path / "fields.png")
    assert width == pytest.approx(7.0 * STYLE.dpi, abs=2)  # the configured dpi reaches the file


@pytest.mark.parametrize("task, run", [("poisson", "unet-s0"), ("heat2d", "unet-s0")])
def test_operator_figures_are_written_as_png_and_pdf(results, tmp_path, task, run):
    d = results / "operator" / task / run
    operator_figures(f"{task}/{run}", d / "prediction.nc", d / "history.nc", d / "metrics.json", tmp_path, STYLE, 3)
    for name in OPERATOR:
        for fmt in FORMATS:
            assert (tmp_path / f"{name}.{fmt}").stat().st_size > 1000


def test_summary_figure_covers_every_problem(results, tmp_path):
    summary_figure(sorted(results.glob("*/*/*/metrics.json")), {}, tmp_path, STYLE)
    assert (tmp_path / "summary.png").stat().st_size > 1000 and (tmp_path / "summary.pdf").exists()


def test_slice_time_outside_the_reference_names_run_and_key(results, tmp_path):
    with pytest.raises(DataError, match=r"run nls/mlp-s0: .*prediction.nc: slice time\(s\) \[5.0\] \(report.slices\)"):
        pinn_figures(*pinn_args(results, "nls", "mlp-s0"), tmp_path, STYLE, Slices("h_abs", (5.0,)))


def test_truncated_prediction_names_run_and_file(results, tmp_path):
    run, pred, hist, ref = pinn_args(results, "heat1d", "mlp-s0")
    bad = tmp_path / "prediction.nc"
    bad.write_bytes(pred.read_bytes()[:200])
    with pytest.raises(DataError, match=rf"run heat1d/mlp-s0: {bad}: cannot be read as netCDF"):
        pinn_figures(run, bad, hist, ref, tmp_path / "out", STYLE, Slices())
    assert not (tmp_path / "out").exists()


def test_prediction_on_another_grid_names_run_and_file(results, tmp_path):
    run, _, hist, ref = pinn_args(results, "heat1d", "mlp-s0")
    other = tmp_path / "prediction.nc"
    write_dataset(fake.reference_heat1d(nx=17), other, params={})
    with pytest.raises(DataError, match=rf"run heat1d/mlp-s0: {other}: coordinate 'x' differs"):
        pinn_figures(run, other, hist, ref, tmp_path / "out", STYLE, Slices())


def test_inverse_run_needs_the_true_coefficient(results, tmp_path):
    run, pred, hist, _ = pinn_args(results, "heat1d_inverse", "mlp-s0")
    ref = tmp_path / "heat1d.nc"
    write_dataset(fake.reference_heat1d(), ref, params={})  # no parameter k recorded
    with pytest.raises(DataError, match=r"run heat1d_inverse/mlp-s0: .*history.nc: inverse run estimates \['k'\]"):
        pinn_figures(run, pred, hist, ref, tmp_path / "out", STYLE, Slices())


def test_operator_file_without_predictions_names_run_and_file(results, tmp_path):
    d = results / "operator" / "poisson" / "unet-s0"
    pred = tmp_path / "prediction.nc"
    write_dataset(fake.prediction_poisson().drop_vars("phi_pred"), pred, params={})
    with pytest.raises(DataError, match=rf"run poisson/unet-s0: {pred}: no predicted channel"):
        operator_figures("poisson/unet-s0", pred, d / "history.nc", d / "metrics.json", tmp_path, STYLE, 3)
