"""The PINN rules in the smoke workflow: every configured run leaves the contract's files."""

import json

import xarray as xr

from nnphys.pinn.problems import PHYSICS


def test_pinn_runs_of_the_smoke_workflow(smoke_run):
    runs = {("heat1d", "tiny-s0"), ("nls", "tiny-periodic-s0"), ("heat1d_inverse", "tiny-s0")}
    for problem, run in runs:
        out = smoke_run / "results" / "pinn" / problem / run
        for name in ("model.pt", "history.nc", "prediction.nc", "metrics.json"):
            assert (out / name).exists(), out / name
        assert not (out / "checkpoint.pt").exists()
        m = json.loads((out / "metrics.json").read_text())
        assert (m["kind"], m["problem"], m["run"], m["seed"]) == ("pinn", problem, run, 0)
        reference = xr.load_dataset(smoke_run / "results" / "reference" / f"{PHYSICS[problem]}.nc")
        prediction = xr.load_dataset(out / "prediction.nc")
        for var in prediction.data_vars:
            assert prediction[var].dims == reference[var].dims == ("t", "x")
        assert (smoke_run / "results" / "benchmarks" / "pinn" / problem / run / "train.tsv").exists()
        assert "trained" in (smoke_run / "results" / "logs" / "pinn" / problem / run / "train.log").read_text()
    assert "k_hat" in json.loads((smoke_run / "results/pinn/heat1d_inverse/tiny-s0/metrics.json").read_text())["metrics"]
