"""Declarative intake forms: one per call category, versioned."""
