"""A local Discord (REST v10 subset + gateway) the real discord.py client runs against.

Used by the Discord-layer tests, ``workshop-bot demo`` and the benchmarks::

    emu = Emulator(ack_deadline=3.0)
    guild = emu.add_guild("Workshop server")
    chan = guild.add_channel("group-a")
    alice = guild.add_member("Alice", permissions=["manage_guild"])
    async with running_bot(emu, bot):
        res = await alice.run_command("session start", channel=chan, workshop="Leeds")
        assert "started" in res.message.content
    emu.assert_no_violations()
"""

from bot.emulator._util import (
    BotConnectionLost,
    DiscordRuleViolation,
    EmulatorError,
    EmulatorTimeout,
    EmulatorUsageError,
)
from bot.emulator.harness import running_bot
from bot.emulator.patch import point_discord_at, point_discord_at_discord
from bot.emulator.records import RateLimitRecord, RequestRecord, ResumeRecord, Violation
from bot.emulator.server import Emulator
from bot.emulator.world import (
    Channel,
    EmulatedAttachment,
    EmulatedMessage,
    EmulatedModal,
    Guild,
    InteractionResult,
    Member,
    ModalSelect,
    Role,
)

__all__ = [
    "BotConnectionLost",
    "Channel",
    "DiscordRuleViolation",
    "EmulatedAttachment",
    "EmulatedMessage",
    "EmulatedModal",
    "Emulator",
    "EmulatorError",
    "EmulatorTimeout",
    "EmulatorUsageError",
    "Guild",
    "InteractionResult",
    "Member",
    "ModalSelect",
    "RateLimitRecord",
    "RequestRecord",
    "ResumeRecord",
    "Role",
    "Violation",
    "point_discord_at",
    "point_discord_at_discord",
    "running_bot",
]
