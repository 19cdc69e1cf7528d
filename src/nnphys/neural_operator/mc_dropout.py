"""Monte Carlo dropout (Gal & Ghahramani 2016) of a trained operator on its test split: ``predictive.nc``.

The run's network, trained with dropout p > 0, makes S stochastic passes over the test inputs with only its
dropout layers sampling (:func:`nnphys.models.dropout.monte_carlo`): poisson, S predictions of each test
sample; heat2d, S autoregressive rollouts from u(0), each with its own masks at every step. Per point

    mean = 1/S Σ_s f_s,    std² = 1/(S - 1) Σ_s (f_s - mean)²

accumulated pass by pass (Welford, float64), so memory does not grow with S. The masks are drawn from torch's
generator seeded with the run's seed: a rerun writes the same file. The deterministic evaluation
(:mod:`~nnphys.neural_operator.evaluate`, dropout off) is unchanged; this is an extra, cached job.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from nnphys import predictive
from nnphys.io import write_dataset
from nnphys.models.dropout import monte_carlo
from nnphys.neural_operator.evaluate import load_run, predict, reference_fields, rollout, rollout_steps
from nnphys.run_names import run_name


def moments(draw: Callable[[], torch.Tensor], samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and sample standard deviation (ddof = 1) of ``samples`` calls of ``draw``, in float64."""
    if samples < 2:
        raise ValueError(f"a standard deviation needs at least 2 passes, got {samples}")
    mean = m2 = None
    for s in range(1, samples + 1):
        y = draw().double()
        if mean is None:
            mean, m2 = torch.zeros_like(y), torch.zeros_like(y)
        delta = y - mean
        mean += delta / s
        m2 += delta * (y - mean)
    return mean, (m2 / (samples - 1)).sqrt()


def mc_dropout(model_path: str | Path, data_path: str | Path, out_dir: str | Path, samples: int,
               device: torch.device, fingerprint: str = "") -> Path:
    """Write ``predictive.nc`` (truth, Monte Carlo mean and std on the test split) into ``out_dir``."""
    op, ck, fields, test = load_run(model_path, data_path, device)
    cfg = ck["config"]
    bs, steps = cfg["evaluation"]["batch_size"], rollout_steps(cfg)
    if fields.problem == "poisson":
        true = fields.y[test].double().numpy()
        draw = lambda: predict(op, fields.x[test], bs, device)  # noqa: E731
    else:
        u = fields.x[test]
        true = u[:, :steps + 1].double().numpy()
        draw = lambda: rollout(op, u[:, 0], steps, bs, device)  # noqa: E731
    torch.manual_seed(cfg["seed"])
    with monte_carlo(op):
        mean, std = moments(draw, samples)
    if fields.problem == "poisson":  # one variable per output channel (axis 1)
        mean, std = ({v: a[:, i].numpy() for i, v in enumerate(fields.outputs)} for a in (mean, std))
    else:
        mean, std = {"u": mean.numpy()}, {"u": std.numpy()}
    ds = predictive.dataset(reference_fields(test, fields, true), mean, std, method="mc_dropout", stage="operator",
                            problem=cfg["task"], model=run_name(cfg["arch"], cfg["seed"]), draws=samples)
    path = Path(out_dir) / "predictive.nc"
    write_dataset(ds, path, params={**cfg, "mc_samples": samples}, seed=cfg["seed"], fingerprint=fingerprint)
    return path
