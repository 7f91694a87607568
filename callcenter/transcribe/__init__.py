"""Offline transcription with Vosk: speaker-separated, word-timed transcripts."""
