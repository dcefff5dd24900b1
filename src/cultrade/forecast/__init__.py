"""Forecasts of risk-band deterioration and conflict onset, with published backtests."""
