"""Figures a supervisor steers by: reports, the daily summary and its e-mail, recurring topics, CSV."""
