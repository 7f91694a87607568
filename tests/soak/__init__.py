"""The load and fault suite (`make soak`; a short run is tests/test_soak_short.py)."""
