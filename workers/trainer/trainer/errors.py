"""Errors the user can act on (bad config, bad snapshot, missing checkpoint).

They become one `error` event and exit code 2; anything else is a bug and exits 1.
"""

from __future__ import annotations


class TrainerError(Exception):
    """A problem with the input, reported as it is: the message must say what to fix."""
