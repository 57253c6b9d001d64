"""Errors that carry a message meant for the person at the keyboard."""


class UserError(Exception):
    """Reported as one line (CLI: on stderr with exit status 1)."""
