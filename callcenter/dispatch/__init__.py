"""Dispatcher: assignment, SLA timers, scheduled callbacks and surveys."""
