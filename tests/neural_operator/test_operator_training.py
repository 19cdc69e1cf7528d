"""Operator training and evaluation end to end on tiny reference files: contract files, determinism, resume."""

import dataclasses
import json

import numpy as np
import pytest
import torch
import xarray as xr

from nnphys.cli import main
from nnphys.io import dataset_params, load_checkpoint, read_json, write_dataset
from nnphys.neural_operator import metrics as om
from nnphys.training.guard import NonFiniteLoss
from nnphys.neural_operator.train import train
from nnphys.neural_operator.evaluate import evaluate

from helpers import killed_after_checkpoint

CPU = torch.device("cpu")


def _weights(path):
    return load_checkpoint(path)["model"]


def test_poisson_train_evaluate_contract(poisson_file, tmp_path, run_config):
    out = tmp_path / "fno-s0"
    cfg = run_config("poisson", "fno")
    summary = train(cfg, poisson_file, out, CPU, show_progress=False)
    assert summary["epochs"] == 3 and not (out / "checkpoint.pt").exists()
    ck = load_checkpoint(out / "model.pt", required=("model", "optimizer", "step", "config", "normalization"))
    assert ck["config"] == cfg and ck["step"] == 3
    hist = xr.load_dataset(out / "history.nc")
    assert set(hist.data_vars) >= {"loss_train", "loss_val", "lr", "wall_time"} and hist.sizes["step"] == 3
    assert hist.loss_val[-1] < hist.loss_val[0]

    result = evaluate(out / "model.pt", poisson_file, out, CPU)
    assert read_json(out / "metrics.json") == json.loads(json.dumps(result))
    assert {k: result[k] for k in ("kind", "problem", "model", "seed", "run")} == {
        "kind": "operator", "problem": "poisson", "model": "fno", "seed": 0, "run": "fno-s0"}
    m = result["metrics"]
    for key in ("rel_l2_mean", "rel_l2_median", "rel_l2_p95", "nrmse", "boundary_rmse", "band_low", "band_mid",
                "band_high", "equivariance_error", "infer_samples_per_s", "reference_samples_per_s",
                "zero_shot_rel_l2", "ood_rel_l2", "rel_l2_mean_Ex"):
        assert np.isfinite(m[key]), key
    assert m["equivariance_error"] < 1e-5  # FNO without grid inputs commutes with periodic shifts
    pred = xr.load_dataset(out / "prediction.nc")
    assert set(pred.data_vars) == {"rho", "phi", "phi_pred", "Ex", "Ex_pred", "Ey", "Ey_pred"}
    assert pred.phi_pred.dims == ("sample", "x", "y") and pred.sizes["sample"] == 8
    # the band errors are those of the predictions written (stored in float32)
    stored = om.band_errors(*(np.stack([pred[f"{c}{s}"].values for c in ("phi", "Ex", "Ey")], 1).astype(float)
                              for s in ("", "_pred")))
    assert {k: m[k] for k in stored} == pytest.approx(stored, rel=1e-4)


@pytest.mark.parametrize("architecture", ["fno", "unet", "encoder_decoder", "deeponet"])
def test_every_architecture_learns_the_dirichlet_poisson_map(dirichlet_poisson_file, tmp_path, run_config,
                                                             architecture):
    """On a Dirichlet lattice (the Dirichlet preset's data) each model trains and is evaluated with the periodic
    task's metrics, less the shift test, which only a periodic lattice has."""
    out = tmp_path / architecture
    train(run_config("poisson", architecture, epochs=20, batch_size=4), dirichlet_poisson_file, out, CPU,
          show_progress=False)
    hist = xr.load_dataset(out / "history.nc")
    assert hist.loss_val[-1] < 0.9 * hist.loss_val[0]
    m = evaluate(out / "model.pt", dirichlet_poisson_file, out, CPU)["metrics"]
    assert "equivariance_error" not in m
    for key in ("rel_l2_mean", "boundary_rmse", "band_low", "d4_equivariance_error", "ood_rel_l2"):
        assert np.isfinite(m[key]), key
    assert m["rel_l2_mean"] < 1.0  # better than predicting zero
    assert ("zero_shot_rel_l2" in m) == (architecture != "deeponet")


def test_heat2d_rollout_contract(heat2d_file, tmp_path, run_config):
    out = tmp_path / "unet-s0"
    train(run_config("heat2d", "unet", unroll=2), heat2d_file, out, CPU, show_progress=False)
    m = evaluate(out / "model.pt", heat2d_file, out, CPU)["metrics"]
    pred = xr.load_dataset(out / "prediction.nc")
    assert pred.u_pred.dims == ("sample", "t", "x", "y") and pred.sizes["t"] == 5
    assert pred.rollout_rel_l2.dims == ("step",) and list(pred.step.values) == [1, 2, 3, 4]
    np.testing.assert_array_equal(pred.u_pred.isel(t=0), pred.u.isel(t=0))  # rollout starts from the truth
    assert m["rollout_rel_l2_final"] == pytest.approx(float(pred.rollout_rel_l2[-1]))
    assert 0 < m["one_step_rel_l2"] < 1 and 0 < m["zero_shot_rel_l2"] and 0 < m["ood_rel_l2"]


def test_same_seed_same_model_and_reevaluation_identical(poisson_file, tmp_path, run_config):
    cfg = run_config("poisson", "unet", epochs=2)
    for name in ("a", "b"):
        train(cfg, poisson_file, tmp_path / name, CPU, show_progress=False)
    a, b = _weights(tmp_path / "a" / "model.pt"), _weights(tmp_path / "b" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    first = evaluate(tmp_path / "a" / "model.pt", poisson_file, tmp_path / "a", CPU)
    p1 = xr.load_dataset(tmp_path / "a" / "prediction.nc")
    second = evaluate(tmp_path / "a" / "model.pt", poisson_file, tmp_path / "a", CPU)
    xr.testing.assert_identical(p1, xr.load_dataset(tmp_path / "a" / "prediction.nc"))
    timing = ("infer_samples_per_s", "reference_samples_per_s")
    assert {k: v for k, v in first["metrics"].items() if k not in timing} == {
        k: v for k, v in second["metrics"].items() if k not in timing}


def test_resume_after_kill_reproduces_uninterrupted_run(heat2d_file, tmp_path, run_config, monkeypatch, capsys):
    cfg = run_config("heat2d", "fno", epochs=4)
    train(cfg, heat2d_file, tmp_path / "full", CPU, show_progress=False)

    killed_after_checkpoint(monkeypatch, 2, train, cfg, heat2d_file, tmp_path / "resumed", CPU, show_progress=False)
    # plain data only (one-cycle schedule, best weights, RNG states): loads without unpickling code
    assert torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=True)["step"] == 2
    capsys.readouterr()
    train(cfg, heat2d_file, tmp_path / "resumed", CPU, show_progress=False)
    assert "at step 2" in capsys.readouterr().err  # a silent fresh start would also match the whole run
    a, b = _weights(tmp_path / "full" / "model.pt"), _weights(tmp_path / "resumed" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    ha, hb = (xr.load_dataset(tmp_path / r / "history.nc") for r in ("full", "resumed"))
    np.testing.assert_array_equal(ha.loss_train, hb.loss_train)
    np.testing.assert_array_equal(ha.loss_val, hb.loss_val)


def test_nan_guard_names_step(poisson_file, tmp_path, run_config):
    with pytest.raises(NonFiniteLoss, match=r"at step \d+: term\(s\) mse = nan"):
        train(run_config("poisson", "fno", lr=1e30), poisson_file, tmp_path / "nan", CPU, show_progress=False)


def test_cli_diverged_training_exits_2_with_one_line(poisson_file, tmp_path, run_config, capsys):
    cfg = json.dumps(run_config("poisson", "fno", lr=1e30))
    assert main(["operator-train", "--config", cfg, "--reference", str(poisson_file), "--out-dir", str(tmp_path),
                 "--device", "cpu"]) == 2
    err = capsys.readouterr().err  # after the progress bar
    assert ("nnphys operator-train: error: loss became non-finite at step 1: term(s) mse = nan; the last good "
            "checkpoint is kept (lower the learning rate or use float64)\n") in err
    assert "Traceback" not in err and not (tmp_path / "model.pt").exists()


@pytest.mark.parametrize("change, part", [
    ({"data": "reseeded"}, "reference params, reference seed"),
    ({"fingerprint": "code v2"}, "code fingerprint"),
    ({}, None),
])
def test_checkpoint_resumes_only_with_the_same_reference_and_code(poisson_file, reseeded_poisson_file, tmp_path,
                                                                   run_config, monkeypatch, capsys, change, part):
    """Killed after epoch 1, rerun on a Poisson reference drawn with another seed or with other code:
    a fresh run with one log line saying why; unchanged, it resumes."""
    cfg = run_config("poisson", "fno", epochs=2)
    files = {"data": poisson_file, "reseeded": reseeded_poisson_file}
    before = {"data": "data", "fingerprint": "code v1"}
    after = {**before, **change}
    killed_after_checkpoint(monkeypatch, 1, train, cfg, files[before["data"]], tmp_path / "run", CPU,
                            show_progress=False, fingerprint=before["fingerprint"])
    capsys.readouterr()
    train(cfg, files[after["data"]], tmp_path / "run", CPU, show_progress=False, fingerprint=after["fingerprint"])
    err = capsys.readouterr().err
    if part is None:
        assert "resumed from" in err and "at step 1" in err and "not resumed" not in err
        return
    assert err.splitlines() == [f"checkpoint {tmp_path / 'run' / 'checkpoint.pt'} not resumed (changed since it "
                                f"was saved: {part}); removed it, starting afresh"]
    train(cfg, files[after["data"]], tmp_path / "fresh", CPU, show_progress=False, fingerprint=after["fingerprint"])
    a, b = _weights(tmp_path / "run" / "model.pt"), _weights(tmp_path / "fresh" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_cli_nan_reference_exits_2_naming_file_and_variable(poisson_file, tmp_path, run_config, capsys):
    ds = xr.load_dataset(poisson_file)
    ds["phi"][0, 1, 2] = np.inf
    path = write_dataset(ds, tmp_path / "broken.nc", params=dataset_params(ds), seed=ds.attrs["seed"])
    assert main(["operator-train", "--config", json.dumps(run_config("poisson", "fno")), "--reference", str(path),
                 "--out-dir", str(tmp_path / "run"), "--device", "cpu"]) == 2
    assert capsys.readouterr().err == (f"nnphys operator-train: error: {path}: variable 'phi' has 1 NaN or Inf "
                                       "value(s) of 10240; recompute it (delete the file and rerun the stage that "
                                       "makes it)\n")


def test_cli_mismatched_reference_exits_2_naming_the_file(poisson_file, heat2d_file, tmp_path, run_config, capsys):
    out = tmp_path / "run"
    cfg = json.dumps(run_config("poisson", "encoder_decoder", epochs=1))
    assert main(["operator-train", "--config", cfg, "--reference", str(poisson_file), "--out-dir", str(out),
                 "--device", "cpu"]) == 0
    assert main(["operator-evaluate", "--model", str(out / "model.pt"), "--reference", str(heat2d_file),
                 "--out-dir", str(out), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "heat2d.nc" in err and "missing variable 'rho'" in err and "Traceback" not in err
    assert not (out / "metrics.json").exists()


@pytest.mark.parametrize("clip, moved", [(1e-20, False), (0, True)])
def test_gradient_clipping_bounds_the_step(poisson_file, tmp_path, run_config, clip, moved):
    """Adam's step is ~lr * g / (|g| + eps): a gradient clipped far below eps barely moves the weights.

    The U-Net's output layer starts at zero, so its weights after training measure how far training went.
    """
    train(run_config("poisson", "unet", epochs=1, clip_grad_norm=clip), poisson_file, tmp_path / "c", CPU,
          show_progress=False)
    out = _weights(tmp_path / "c" / "model.pt")["out.weight"].abs().max().item()
    assert (out > 1e-4) if moved else (out < 1e-9)


@pytest.mark.parametrize("value", [-1.0, "big"])
def test_schema_rejects_bad_clip_grad_norm(repo, value):
    from snakemake.utils import validate

    section = {"tasks": {"poisson": {"training": {"clip_grad_norm": value}}}}
    with pytest.raises(Exception, match="clip_grad_norm"):
        validate(section, str(repo / "workflow" / "schemas" / "operator.schema.yaml"), set_default=True)


def test_generalization_tests_apply_where_the_model_allows(poisson_file, tmp_path, run_config):
    """A DeepONet is built for one grid: no test at twice the resolution; every model gets the rougher inputs."""
    cfg = run_config("poisson", "fno")
    cfg["model"] = {"architecture": "deeponet", "width": 16, "depth": 1, "basis": 8}
    train(cfg, poisson_file, tmp_path / "d", CPU, show_progress=False)
    m = evaluate(tmp_path / "d" / "model.pt", poisson_file, tmp_path / "d", CPU)["metrics"]
    assert "zero_shot_rel_l2" not in m and m["ood_rel_l2"] > 0


def test_the_rougher_inputs_hold_more_energy_at_high_wavenumbers():
    from nnphys.neural_operator.evaluate import rougher
    from nnphys.physics import poisson

    p = poisson.Params(n=32, n_samples=64)
    q = dataclasses.replace(p, **rougher("poisson", p))

    def high_fraction(params):
        rho = poisson.charge_density(np.random.default_rng(0), params.n_samples, params)
        power = np.abs(np.fft.fft2(rho)) ** 2
        k = np.abs(np.fft.fftfreq(params.n, 1 / params.n))
        high = (k[:, None] > params.n / 8) | (k[None, :] > params.n / 8)
        return power[:, high].sum() / power.sum()

    assert high_fraction(q) > 2 * high_fraction(p)
