def report_outputs():
    return []
