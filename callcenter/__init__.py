"""Call-center telephony ticketing system."""

__version__ = "0.1.0"
