"""Quality review: scorecards, keyword rules and the tagger, transcript search, the redacted QA audio."""
