"""Figures from saved files: every figure is written as PNG and PDF, the numbers behind them are right,
and a bad input file stops with a message naming the run and the file."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

import fake
import layout
from nnphys import physics
from nnphys.evaluation import style
from nnphys.evaluation.figures import FORMATS, OPERATOR, PINN
from nnphys.evaluation.figures.batch import Options, QuickLook, draw_all
from nnphys.evaluation.figures.operator import operator_figures, radial_spectrum, sample_errors
from nnphys.evaluation.figures.pinn import Slices, pinn_figures
from nnphys.evaluation.figures.summary import summary_figure
from nnphys.evaluation.quicklook import quicklook
from nnphys.evaluation.style import Style
from nnphys.evaluation.tables import per_run
from nnphys.io import DataError, write_dataset, write_json
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


def test_the_figure_job_draws_every_run_the_summary_and_the_quicklooks_in_worker_processes(results, tmp_path):
    runs = sorted(p.parent for p in results.glob("*/*/*/prediction.nc"))
    references = {p: results / "reference" / f"{physics}.nc" for p, physics in PHYSICS.items()}
    look = QuickLook("heat1d", results / "reference" / "heat1d.nc", tmp_path / "reference" / "heat1d.png")
    draw_all(runs, references, tmp_path / "figures", STYLE, Options(), workers=2, quicklooks=[look])
    names = {"pinn": PINN, "operator": OPERATOR}
    expected = {tmp_path / "figures" / run.relative_to(results) / f"{name}.{fmt}" for run in runs
                for name in names[run.relative_to(results).parts[0]] for fmt in FORMATS}
    expected |= {tmp_path / "figures" / f"summary.{fmt}" for fmt in FORMATS} | {look.out}
    assert {p for p in tmp_path.rglob("*") if p.is_file()} == expected
    assert len(runs) >= 4 and png_size(look.out)[0] > 0


def test_a_bad_run_among_the_workers_is_named_and_the_other_runs_are_drawn(results, tmp_path):
    good = results / "operator" / "poisson" / "unet-s0"
    bad = tmp_path / "results" / "operator" / "poisson" / "broken-s0"
    shutil.copytree(good, bad)
    (bad / "prediction.nc").write_bytes((good / "prediction.nc").read_bytes()[:200])
    out = tmp_path / "figures"
    with pytest.raises(DataError, match=rf"run poisson/broken-s0: {bad / 'prediction.nc'}: cannot be read as netCDF"):
        draw_all([bad, good], {}, out, STYLE, Options(), workers=2)
    assert all((out / "operator" / "poisson" / "unet-s0" / f"{name}.png").exists() for name in OPERATOR)


def test_a_folder_outside_the_results_layout_is_refused(results, tmp_path):
    with pytest.raises(DataError, match=r"not a run folder <results>/<stage>/<problem>/<run>"):
        draw_all([tmp_path / "somewhere"], {}, tmp_path / "out", STYLE, Options())


# A default run as the README reports it (problem, kind, model, headline metric, value, train seconds):
# long model names and the longest metric labels, where titles and labels once ran into each other.
DEFAULT_RUN = [("heat1d", "pinn", "tanh-3x20-f64", "rel_l2", 5.5e-5, 21),
               ("nls", "pinn", "tanh-4x40-periodic-f64", "rel_l2_abs", 7.7e-4, 258),
               ("heat1d_inverse", "pinn", "tanh-3x20-f64", "k_rel_error", 5.6e-4, 15),
               ("poisson", "operator", "fno", "rel_l2_mean", 7e-3, 97),
               ("poisson", "operator", "unet", "rel_l2_mean", 2.8e-2, 427),
               ("poisson", "operator", "encoder_decoder", "rel_l2_mean", 8.5e-2, 83),
               ("heat2d", "operator", "fno", "rollout_rel_l2_final", 3.2e-3, 109),
               ("heat2d", "operator", "unet", "rollout_rel_l2_final", 1.8e-2, 1006)]
HEADLINE = {problem: metric for problem, _, _, metric, _, _ in DEFAULT_RUN}  # report.headline's default


def drawn_summary(monkeypatch, paths, out_dir, look=STYLE):
    """Run ``summary_figure``; the figure as saved (redrawn at its own dpi, after the PDF) and its renderer."""
    seen = {}
    save = style.save

    def keep(fig, *paths):
        save(fig, *paths)
        fig.canvas.draw()  # the layout is kept; label positions are recomputed in this renderer's pixels
        seen["fig"], seen["renderer"] = fig, fig.canvas.get_renderer()

    monkeypatch.setattr(style, "save", keep)
    summary_figure(paths, HEADLINE, out_dir, look)
    assert (out_dir / "summary.png").stat().st_size > 1000 and (out_dir / "summary.pdf").stat().st_size > 1000
    return seen["fig"], seen["renderer"]


def title(ax):
    """A top panel's title on one line: ``problem (kind) metric label`` (it is wrapped to the panel)."""
    return ax.get_title().replace("\n", " ")


def shown(labels, axis, limits):
    """The tick labels inside the view (an axis also keeps labels for ticks just outside it)."""
    lo, hi = sorted(limits)
    return [t for t in labels if lo * (1 - 1e-9) <= t.get_position()[axis] <= hi * (1 + 1e-9)]


def ys(ax, with_marker):
    """Sorted y values of the lines drawn in ``ax`` with (dots) or without (mean bars) a marker."""
    lines = [line for line in ax.get_lines() if (line.get_marker() not in (None, "", "None")) == with_marker]
    return sorted(y for line in lines for y in (line.get_ydata() if with_marker else line.get_ydata()[:1]))


def test_summary_figure_has_a_panel_per_problem_and_a_dot_per_run(results, tmp_path, monkeypatch):
    paths = sorted(results.glob("*/*/*/metrics.json"))
    runs = per_run(paths)
    fig, _ = drawn_summary(monkeypatch, paths, tmp_path)
    problems = list(dict.fromkeys(runs["problem"]))
    assert len(fig.axes) == 2 * len(problems)
    for problem, top, bottom in zip(problems, fig.axes[:len(problems)], fig.axes[len(problems):]):
        sub, metric = runs[runs["problem"] == problem], HEADLINE[problem]
        assert title(top) == f"{problem} ({sub['kind'].iloc[0]}) {style.metric_label(metric)}"
        assert ys(top, True) == pytest.approx(sorted(sub[metric]))  # one dot per run, nothing beside it
        assert ys(bottom, True) == pytest.approx(sorted(sub["train_seconds"]))
        seeds = sub.groupby("model", sort=False)[metric].agg(["mean", "size"])
        assert ys(top, False) == pytest.approx(sorted(seeds.loc[seeds["size"] > 1, "mean"]))  # bars: means of seeds
        for ax in (top, bottom):
            assert [x.get_text() for x in ax.get_xticklabels()] == list(seeds.index)
    assert [x.get_text() for x in fig.legends[0].get_texts()] == ["one run (seed)", "mean over seeds"]


def test_summary_text_does_not_overlap_and_stays_in_the_figure(tmp_path, monkeypatch):
    paths = []
    for problem, kind, model, metric, value, seconds in DEFAULT_RUN:
        path = tmp_path / kind / problem / f"{model}-s0" / "metrics.json"
        write_json(path, fake._metrics(kind, problem, model, 0, {metric: value}) | {"train_seconds": seconds})
        paths.append(path)
    fig, renderer = drawn_summary(monkeypatch, paths, tmp_path / "out", Style(dpi=100))
    assert [title(ax) for ax in fig.axes[:len(HEADLINE)]] == [
        f"{problem} ({kind}) {style.metric_label(metric)}"
        for problem, kind, metric in dict.fromkeys((p, k, m) for p, k, _, m, _, _ in DEFAULT_RUN)]
    assert [x.get_text() for x in fig.legends[0].get_texts()] == ["one run (seed)"]  # no mean bar for one seed
    groups = [[ax.title, ax.xaxis.label, ax.yaxis.label, *shown(ax.get_xticklabels(), 0, ax.get_xlim()),
               *shown(ax.get_yticklabels(), 1, ax.get_ylim())] for ax in fig.axes] + [fig.legends[0].get_texts()]
    boxes = [[(t.get_text(), t.get_window_extent(renderer).padded(2)) for t in g if t.get_visible() and t.get_text()]
             for g in groups]  # at least 4 px apart: text that touches reads as one
    page = fig.bbox.padded(2)
    for i, group in enumerate(boxes):
        for text, box in group:
            assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, text
            for other in boxes[i + 1:]:
                for other_text, other_box in other:
                    assert not box.overlaps(other_box), f"{text!r} runs into {other_text!r}"


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


def drawn_figures(monkeypatch, draw) -> list[tuple[str, list[str]]]:
    """(file name, what does not read) of every figure ``draw()`` saves, checked as saved."""
    found = []
    save = style.save

    def check(fig, png, pdf=None):
        save(fig, png, pdf)
        fig.canvas.draw()
        found.append((png.name, layout.problems(fig, fig.canvas.get_renderer())))

    monkeypatch.setattr(style, "save", check)
    draw()
    return found


@pytest.mark.parametrize("look", [Style(dpi=100), Style(), Style(dpi=100, font_size=9.5)],
                         ids=["100dpi", "150dpi", "larger-font"])
def test_run_figures_keep_every_label_on_the_page_and_off_other_panels(results, tmp_path, monkeypatch, look):
    """The report's run figures are laid out by hand (fixed margins in ems): nothing may clip or collide, at the
    default font size (at two resolutions: text is hinted to whole pixels) and a larger one."""
    runs = sorted(p.parent for p in results.glob("*/*/*/prediction.nc"))
    references = {p: results / "reference" / f"{physics}.nc" for p, physics in PHYSICS.items()}
    options = Options(slices={"nls": Slices("h_abs", (0.59, 0.79, 0.98))})
    found = drawn_figures(monkeypatch, lambda: draw_all(runs, references, tmp_path, look, options))
    assert len(found) == 3 * len(runs) + 1
    assert [(name, bad) for name, bad in found if bad] == []


@pytest.mark.parametrize("problem", ["heat1d", "nls", "poisson", "poisson_dirichlet", "heat2d"])
def test_quicklooks_keep_every_label_on_the_page_and_off_other_panels(tmp_path, monkeypatch, problem):
    small = {"heat1d": {"nx": 21, "nt": 11}, "nls": {"nx": 32, "nt": 11, "substeps": 4},
             "poisson": {"n": 16, "n_samples": 2}, "poisson_dirichlet": {"n": 16, "n_samples": 2},
             "heat2d": {"n": 8, "n_samples": 2, "nt": 5}}[problem]
    ds = physics.get(problem).solve(physics.params(problem, small))
    found = drawn_figures(monkeypatch, lambda: quicklook(physics.problem(problem), ds, tmp_path / "q.png",
                                                         Style(dpi=100)))
    assert found == [("q.png", [])]
