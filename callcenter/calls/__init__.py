"""The call record shared by the bridge, the IVR and the desk: one row per call, caller numbers, recordings."""
