"""The one exception type for bad input: the CLI turns it into a message and exit code 2."""


class UserError(Exception):
    """A problem with what the user gave us (config, corpus, checkpoint, path), not a bug."""
