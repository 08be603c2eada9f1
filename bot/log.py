"""Logging set-up for the command line: one format, one level (``LOG_LEVEL``), to stderr.

Library code only uses ``logging.getLogger(__name__)``; nothing logs the token (it is not in
:class:`~bot.config.Settings`' repr, and discord.py does not log it).
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: str) -> None:
    """Log records at ``level`` and above to stderr (as it is when this is called)."""
    logging.basicConfig(level=level, format=FORMAT)
