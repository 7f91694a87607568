"""AMI bridge: Asterisk events become call records, live state and named events."""
