"""Customers: created with their phone numbers once, found again by number, name or id."""
