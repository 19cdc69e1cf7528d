"""The whole-workflow benchmark's bookkeeping: job times by stage, every run's metrics."""

import json

from nnphys.bench.workflow import STAGES, job_seconds, run_metrics


def test_job_seconds_are_summed_per_benchmark_file(tmp_path):
    for path, rows in {"reference/heat1d.tsv": ["1.5"], "operator/poisson/fno-s0/train.tsv": ["10", "2.5"]}.items():
        f = tmp_path / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("s\th:m:s\tmax_rss\n" + "".join(f"{r}\t0:00:01\t1\n" for r in rows))
    jobs = job_seconds(tmp_path)
    assert jobs == {"reference/heat1d": 1.5, "operator/poisson/fno-s0/train": 12.5}
    assert {k.split("/")[0] for k in jobs} <= set(STAGES)


def test_every_runs_metrics_are_kept(tmp_path):
    run = tmp_path / "pinn" / "nls" / "tanh-s0"
    run.mkdir(parents=True)
    (run / "metrics.json").write_text(json.dumps({"problem": "nls", "train_seconds": 3.0,
                                                  "metrics": {"rel_l2_abs": 1e-2, "rel_l2_h": 5e-2}}))
    assert run_metrics(tmp_path) == {"pinn/nls/tanh-s0": {"rel_l2_abs": 1e-2, "rel_l2_h": 5e-2, "train_seconds": 3.0}}


def test_the_bars_name_runs_the_default_config_trains():
    import yaml

    from nnphys.bench.workflow import METRIC_BARS, REPO
    from nnphys.neural_operator.config import runs as operator_runs
    from nnphys.pinn.config import runs as pinn_runs

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    trained = {f"pinn/{p}/{r}" for p, r in pinn_runs(config["pinn"])}
    trained |= {f"operator/{t}/{r}" for t, r in operator_runs(config["operator"])}
    assert {run for run, _ in METRIC_BARS} <= trained


def test_a_bar_holds_only_when_its_value_is_there_and_within():
    from nnphys.bench.workflow import bars

    wall = {"run": 700.0, "rerun_nothing_changed": 11.0, "figures_after_report_change": 5.0}
    result = bars(wall, {"pinn/heat1d/tanh-3x20-f64-s0": {"rel_l2": 5e-7}, "pinn/nls/tanh-4x40-periodic-f64-s0": {"rel_l2": 5e-3}})
    assert result["wall_seconds.run"]["met"] and not result["wall_seconds.rerun_nothing_changed"]["met"]
    assert result["pinn/heat1d/tanh-3x20-f64-s0.rel_l2"] == {"value": 5e-7, "bar": 1e-6, "met": True}
    assert result["pinn/nls/tanh-4x40-periodic-f64-s0.rel_l2"] == {"value": 5e-3, "bar": 3e-3, "met": False}
    assert result["operator/poisson/fno-s0.rel_l2_mean"] == {"value": None, "bar": 1e-3, "met": False}


def test_the_pinn_bench_times_config_yamls_nls_run_on_its_reference():
    """bench pinn's NLS time-to-accuracy trains the default run's NLS PINN, exactly as config.yaml sets it."""
    from nnphys.bench.pinn import nls_setup

    run, s, ref = nls_setup()
    assert run["model_name"] == "tanh-4x40-periodic-f64" and run["training"]["phases"][-1]["optimizer"] == "ssbroyden"
    assert s.outputs == ("u", "v") and ref.values.shape == (201, 256, 2)


def test_the_pinn_bench_times_the_nls_step_with_and_without_the_c_kernels(monkeypatch):
    from nnphys.bench import pinn
    from nnphys.pinn import jet_kernels

    used, real = [], jet_kernels.fused

    def fused(*args):
        kernels = real(*args)
        used.append(kernels is not None)
        return kernels

    monkeypatch.setattr(jet_kernels, "fused", fused)
    steps = pinn.nls_kernel_steps(repeats=1, steps=1)
    if not jet_kernels.available:
        assert steps is None
        return
    assert set(steps) == {"c_kernels", "torch_operations"} and all(v > 0 for v in steps.values())
    assert True in used and False in used
