"""Errors that are the user's to fix: the CLI prints them as one line and exits 2."""


class UserError(Exception):
    """A mistake in the user's input (missing file, bad config key, unknown week)."""
