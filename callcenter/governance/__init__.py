"""Data governance: retention per queue and erasure of one customer, idempotent and audited."""
