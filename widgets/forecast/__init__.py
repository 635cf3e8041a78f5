"""The Forecast app (需求预测): history, forecast, backtest and replenishment of a SKU."""
