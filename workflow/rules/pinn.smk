def pinn_outputs():
    return []
