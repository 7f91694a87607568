"""The agent's browser softphone: the settings the desk hands the signed-in agent, and the PBX's endpoints."""
