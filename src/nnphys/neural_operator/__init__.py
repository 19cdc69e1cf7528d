"""Neural operators learned from reference data: the operator pipeline (not ``operator``: the standard library's).

    config    the runs a config defines, each run's resolved settings, and the checks that span config
              sections (no torch: the workflow reads it when it parses the rules)
    data      reference files to tensors, splits, normalization, the network in physical units
    train     the resumable mini-batch training loop
    evaluate  test-split metrics and predictions of a trained model
    metrics   field errors (relative L2, NRMSE, boundary and Fourier-band errors)
"""
