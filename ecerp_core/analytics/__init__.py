"""Analytics: the semantic layer (declared dimensions, measures, filters and their SQL), the queries
behind the dashboards, custom reports saved as definitions, and the home page's key figures.

Every figure is aggregated in the database; Python only sees the aggregated rows. Reads join across
areas (orders, catalog, stock); the only table this area writes is its saved reports.
"""
