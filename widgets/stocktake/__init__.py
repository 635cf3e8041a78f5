"""Stocktake: scanner-first counting on a tablet, recount, supervisor approval by value."""
