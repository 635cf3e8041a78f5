"""Customers (CRM): customer 360 and merging, inquiries/complaints/feedback, tiers, RFM segments."""
