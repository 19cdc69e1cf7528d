def operator_outputs():
    return []
