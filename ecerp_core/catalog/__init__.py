"""Base data (基础信息): company, currencies, products and bundles, suppliers, customers,
warehouses, shops."""
