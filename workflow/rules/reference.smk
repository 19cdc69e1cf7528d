def reference_outputs():
    return []
