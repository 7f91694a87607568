"""The centre's queues: defined and changed by admins (service), written for Asterisk
(asterisk.py, publishing.py), found in Asterisk when defined there by hand (discovery.py), and
what their settings do on a call (hours.py; the IVR's ``queue`` handler)."""
