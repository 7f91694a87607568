"""The desk's screen pops, kept on the server until the agent handles them: building a pop from the
call (``build``), the names its codes are shown by (``names``), storing and moving it (``service``),
and the event that tells every tab it was handled (``notifier``)."""
