"""The customer's record in the company's CRM, looked up from the server when a call pops."""
