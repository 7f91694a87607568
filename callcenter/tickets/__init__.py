"""Tickets: created, changed, assigned, noted and attached to calls in one place, with their history."""
