"""Who may do what: accounts, the named role sets, what each user may see, and the audit log."""
