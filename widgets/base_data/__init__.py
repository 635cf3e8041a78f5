"""Base Data: products, suppliers, customers, warehouses, shops and categories."""
