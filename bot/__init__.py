"""workshop-bot: a Discord bot that runs structured discussion workshops.

The core (content, engine, storage, exports) is plain Python with no discord imports; the
Discord layer lives in :mod:`bot.discord_ui` and the local Discord emulator in :mod:`bot.emulator`.
"""

__version__ = "0.1.0"
