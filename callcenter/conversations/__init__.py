"""A ticket's conversation: messages in and out on every channel, internal notes, and the one timeline."""
