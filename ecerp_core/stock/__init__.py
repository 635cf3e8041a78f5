"""The stock ledger: moves, levels (a cache of the moves), reservations and average cost."""
