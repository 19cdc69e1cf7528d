"""Optimizer phases run one after another, e.g. Adam with a decaying learning rate, then full-batch L-BFGS.

A phase is a config dict: ``{"optimizer": "adam" | "sgd" | "lbfgs" | "lm", "steps": n, "lr": ..., ...}``.

- adam / sgd: one step per minibatch-free loss evaluation; ``schedule`` is ``constant``, ``exponential``
  (lr decays geometrically to ``lr * final_factor`` at the phase end) or ``cosine`` (to the same floor);
  sgd uses ``momentum`` (Nesterov off).
- lbfgs: torch.optim.LBFGS with strong-Wolfe line search; ``steps`` is its iteration budget;
  ``tolerance_grad``, ``tolerance_change``, ``history_size`` as in torch. :func:`lbfgs_stop_reason`
  says why it stopped early.
- lm: Levenberg–Marquardt (:mod:`nnphys.pinn.levenberg_marquardt`), initial damping ``mu``; for small
  networks only (it builds the full Jacobian).
- gn / engd: matrix-free Gauss–Newton (LM-damped, initial ``mu``) and energy natural gradient (grid line
  search, fixed regularization ``mu``), each step solved by ``cg_iterations`` of conjugate gradients at most,
  preconditioned by a randomized Nyström approximation of rank ``nystrom_rank`` if > 0
  (:mod:`nnphys.pinn.gauss_newton`): no Jacobian is formed, so any network size.
- ssbfgs / ssbroyden / bfgs: dense quasi-Newton with self-scaling (:mod:`nnphys.pinn.quasi_newton`),
  strong-Wolfe line search, ``tolerance_grad`` and ``tolerance_change`` as L-BFGS's; networks up to ~10⁴
  parameters.

Every phase has one face, :meth:`Phase.advance`: up to n iterations on a batch of points, returning how
many it did, why it stopped before its budget (L-BFGS and LM have their own stopping rules), and the
loss terms it last evaluated. The training loop drives it in chunks of iterations (for logging and
checkpoints) without knowing which optimizer runs.

:class:`Phases` has ``state_dict``/``load_state_dict`` (phase index + optimizer + scheduler state),
so the Checkpointer saves and restores it like any optimizer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch

from nnphys.pinn.gauss_newton import GaussNewton
from nnphys.pinn.levenberg_marquardt import LevenbergMarquardt
from nnphys.pinn.quasi_newton import SelfScaledBroyden
from nnphys.training.guard import check_finite
from nnphys.training.schedules import scheduler

# losses(batch) -> (total, {term: value}): the weighted loss and its unweighted terms (pinn.train.Losses)
Loss = Callable[[dict], tuple[torch.Tensor, dict[str, torch.Tensor]]]
Terms = dict[str, torch.Tensor]


def evaluate(losses: Loss, batch: dict, step: int) -> tuple[torch.Tensor, Terms]:
    """The total loss and every term with it (key ``total``), detached; :class:`NonFiniteLoss` names the
    global ``step`` and the term if any is NaN or Inf."""
    total, terms = losses(batch)
    terms = {**terms, "total": total}
    check_finite(terms, step)
    return total, {k: v.detach() for k, v in terms.items()}


class Phase:
    """One optimizer phase over the global steps [start, end) of a run."""

    keeps_points = False  # L-BFGS and LM assume one fixed loss: they keep the points they started with
    has_stop_rule = False  # they end on their own criterion too; the log says which one ended them

    def __init__(self, spec: dict, params: list[torch.nn.Parameter], start: int):
        self.spec, self.params, self.kind = spec, params, spec["optimizer"]
        self.start, self.end = start, start + int(spec["steps"])
        self.optimizer, self.scheduler = self._build()

    def _build(self):
        """(optimizer, learning-rate scheduler or None) of this phase."""
        raise NotImplementedError

    def advance(self, losses: Loss, batch: dict, n: int, step: int) -> tuple[int, str | None, Terms]:
        """Up to ``n`` iterations from global step ``step`` on ``batch``: (iterations done, why the phase
        stopped before its budget or None, the loss terms last evaluated, ``total`` included)."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler else None}

    def load_state_dict(self, state: dict) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])


class FirstOrder(Phase):
    """Adam or SGD: a gradient step per iteration, the learning rate scheduled over the phase."""

    def _build(self):
        spec, lr = self.spec, float(self.spec.get("lr", 1e-3))
        if self.kind == "adam":
            opt = torch.optim.Adam(self.params, lr=lr)
        else:
            opt = torch.optim.SGD(self.params, lr=lr, momentum=float(spec.get("momentum", 0.9)))
        schedule, floor = spec.get("schedule", "constant"), float(spec.get("final_factor", 1.0))
        return opt, scheduler(opt, schedule, lr, int(spec["steps"]), floor)

    def advance(self, losses, batch, n, step):
        for done in range(1, n + 1):
            self.optimizer.zero_grad(set_to_none=True)
            total, terms = evaluate(losses, batch, step + done - 1)
            total.backward()
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        return n, None, terms


class LBFGS(Phase):
    """torch's L-BFGS with strong-Wolfe line search, ``steps`` iterations at most."""

    keeps_points = has_stop_rule = True

    def _build(self):
        spec = self.spec
        opt = torch.optim.LBFGS(self.params, lr=float(spec.get("lr", 1.0)), max_iter=1,
                                history_size=int(spec.get("history_size", 50)),
                                tolerance_grad=float(spec.get("tolerance_grad", 1e-9)),
                                tolerance_change=float(spec.get("tolerance_change", 1e-12)),
                                line_search_fn="strong_wolfe")
        return opt, None

    def advance(self, losses, batch, n, step):
        last: Terms = {}

        def closure():
            self.optimizer.zero_grad(set_to_none=True)
            total, terms = evaluate(losses, batch, step)
            total.backward()
            last.update(terms)
            return total

        done, stop = lbfgs_iterations(self.optimizer, closure, n)
        return done, stop, last


class LM(Phase):
    """Levenberg–Marquardt or matrix-free Gauss–Newton / ENGD steps (each evaluates the loss itself); the
    terms are evaluated once a chunk."""

    keeps_points = has_stop_rule = True

    def _build(self):
        spec = self.spec
        if self.kind == "lm":
            return LevenbergMarquardt(self.params, mu=float(spec.get("mu", 1e-3))), None
        engd = self.kind == "engd"
        return GaussNewton(self.params, line_search=engd, mu=float(spec.get("mu", 1e-8 if engd else 1e-3)),
                           cg_iterations=int(spec.get("cg_iterations", 50)),
                           cg_tolerance=float(spec.get("cg_tolerance", 1e-4)),
                           nystrom_rank=int(spec.get("nystrom_rank", 0))), None

    def advance(self, losses, batch, n, step):
        for done in range(1, n + 1):
            _, stop = self.optimizer.step(losses, batch)
            if stop:
                break
        with torch.no_grad():
            _, terms = evaluate(losses, batch, step + done)
        return done, stop, terms


class QuasiNewton(Phase):
    """Dense (self-scaled) BFGS or Broyden iterations, each with its own line search."""

    keeps_points = has_stop_rule = True

    def _build(self):
        spec = self.spec
        return SelfScaledBroyden(self.params, self.kind, float(spec.get("tolerance_grad", 1e-9)),
                                 float(spec.get("tolerance_change", 1e-12))), None

    def advance(self, losses, batch, n, step):
        last: Terms = {}

        def closure():
            for p in self.params:
                p.grad = None
            total, terms = evaluate(losses, batch, step)
            total.backward()
            last.update(terms)
            return total

        stop = None
        for done in range(1, n + 1):
            stop = self.optimizer.step(closure)
            if stop:
                break
        if not last:  # every iteration of the chunk reused the point its predecessor evaluated
            with torch.no_grad():
                _, last = evaluate(losses, batch, step + done)
        return done, stop, last


PHASES = {"adam": FirstOrder, "sgd": FirstOrder, "lbfgs": LBFGS, "lm": LM, "gn": LM, "engd": LM,
          "ssbfgs": QuasiNewton, "ssbroyden": QuasiNewton, "bfgs": QuasiNewton}


def build(spec: dict, params: list[torch.nn.Parameter], start: int) -> Phase:
    """The phase ``spec`` describes, over global steps [start, start + steps)."""
    if spec["optimizer"] not in PHASES:
        raise ValueError(f"unknown optimizer {spec['optimizer']!r} (known: {', '.join(PHASES)})")
    return PHASES[spec["optimizer"]](spec, params, start)


class Phases:
    """The optimizer phases of a run over global steps [0, total); one is built when the run enters it."""

    def __init__(self, params: Iterable[torch.nn.Parameter], specs: Sequence[dict]):
        self.params = list(params)
        self.specs = [dict(s) for s in specs]
        self.starts, start = [], 0
        for s in self.specs:
            self.starts.append(start)
            start += int(s["steps"])
        self.total = start
        self.index, self.current = -1, None
        if self.specs:
            self.enter(0)

    def at(self, step: int) -> Phase:
        """The phase that runs global step ``step`` (entered, with a fresh optimizer, if it is a new one)."""
        self.enter(next(i for i, s in enumerate(self.specs) if step < self.starts[i] + int(s["steps"])))
        return self.current

    def enter(self, index: int) -> None:
        if index != self.index:
            self.index = index
            self.current = build(self.specs[index], self.params, self.starts[index])

    def state_dict(self) -> dict:
        return {"index": self.index, **self.current.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.enter(int(state["index"]))
        self.current.load_state_dict(state)


def lbfgs_iterations(opt: torch.optim.LBFGS, closure: Callable[[], torch.Tensor], n: int) -> tuple[int, str | None]:
    """Run up to ``n`` L-BFGS iterations; returns (iterations done, stop reason or None if all n ran)."""
    group = opt.param_groups[0]
    # no evaluation cap per chunk: only the tolerances (or the phase's step budget) end the phase
    group["max_iter"], group["max_eval"] = n, 10**9
    state = opt.state[group["params"][0]]
    before = state.get("n_iter", 0)
    opt.step(closure)
    done = state.get("n_iter", 0) - before
    if done >= n:
        return done, None
    return done, lbfgs_stop_reason(opt)


def lbfgs_stop_reason(opt: torch.optim.LBFGS) -> str:
    """Why torch's L-BFGS returned before its iteration budget (the checks in its step(), in order)."""
    group = opt.param_groups[0]
    grads = [p.grad.abs().max() for p in group["params"] if p.grad is not None]
    gmax = float(torch.stack(grads).max()) if grads else 0.0
    if gmax <= group["tolerance_grad"]:
        return f"tolerance_grad: max |gradient| = {gmax:.3g} <= {group['tolerance_grad']:g}"
    return (f"tolerance_change: step or loss change below {group['tolerance_change']:g} "
            f"(max |gradient| = {gmax:.3g})")
