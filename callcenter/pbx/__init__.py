"""Talking to Asterisk safely, and the lab PBX: one value gate, one WAV reader, prompts, the lab."""
