"""Services of a cartable's devices: list, activate, recover, sell, repair, block."""
