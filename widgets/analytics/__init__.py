"""The Analytics app: dashboards and the custom report builder."""
