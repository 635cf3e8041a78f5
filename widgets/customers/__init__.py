"""The Customers app: search, customer 360, complaints, tiers, segments and list export."""
