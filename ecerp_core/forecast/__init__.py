"""Demand forecasting and replenishment: history, baselines, a scikit-learn model, backtest, orders."""
