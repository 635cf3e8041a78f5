"""Purchase orders: create, confirm, receive into stock at the purchase price."""
