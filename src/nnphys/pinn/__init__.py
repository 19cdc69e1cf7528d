"""Physics-informed neural networks (Raissi, Perdikaris & Karniadakis 2019): the PINN pipeline.

    config               the runs a config defines and each run's resolved settings (no torch: the
                         workflow reads it when it parses the rules)
    problems             what a PINN knows of each problem: inputs, outputs, domain, initial and boundary values
    sampling             seeded collocation points (times optionally stretched in log(1 + t/s))
    derivatives          derivatives w.r.t. the inputs by Taylor mode (jets), with a hand-written backward
    jet_kernels          the jet pass's elementwise work per layer in one sweep, in C (_jet.c)
    optimizers           optimizer phases run one after another (adam, sgd, lbfgs, lm)
    levenberg_marquardt  damped Gauss–Newton steps on the stacked residuals
    inverse              unknown PDE coefficients and the noisy data they are fitted to
    train                the loss terms and the resumable training loop
    predict              a trained network's values and PDE residual on a grid
    metrics              errors of a prediction against the reference
    runs                 one run, files in and files out: train_run, evaluate_run
"""
