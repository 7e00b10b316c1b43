"""Services of sign-in: SIM codes, sessions, callers, passwords, limits."""
