"""Canonical orders: import from platforms, review, reservation, shipping and after-sales."""
