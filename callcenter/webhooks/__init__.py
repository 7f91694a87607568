"""Outbound webhooks: every change an endpoint asked for, signed (Standard Webhooks) and never lost."""
