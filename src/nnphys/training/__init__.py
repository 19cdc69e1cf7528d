"""What the PINN and the neural-operator training loops share.

    checkpoint  periodic checkpoints, resumed only for the same run config, code and reference
    seeding     seeding, and the random generators' state a checkpoint carries
    guard       stop on a NaN or Inf loss, naming the step and the term
    schedules   learning-rate schedules by name
    progress    progress bars for terminals and log files
"""
