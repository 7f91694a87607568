"""Agent states from the desk: signed in to queues, available, paused with a reason, on a call, wrap-up."""
