"""The inbox's one rule: a practitioner reads and marks only their own messages. Someone else's
message does not exist for them: the same refusal as for no message at all, so an id tells nothing."""

from mumaris.errors import Refusal


class InboxRefused(Refusal):
    """Not a message of the reader's (code `not_found`)."""
