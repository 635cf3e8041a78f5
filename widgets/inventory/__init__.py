"""Inventory: levels, alerts, transfers, movement history, stock value, purchase orders, replenishment."""
