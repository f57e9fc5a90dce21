"""The terminal front end of the `tenure` command: what `tenure run` and `tenure chat`
show of a session as its events stream in, and how a person answers on the keyboard."""
