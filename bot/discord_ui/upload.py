"""Fit an export file within the interaction's upload limit: as is, zipped, or a clear refusal."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

from bot.engine import WorkshopError


class ExportTooLarge(WorkshopError):
    pass


def _zip(path: Path) -> Path:
    target = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.write(path, arcname=path.name)
    return target


async def fit_for_upload(path: Path, filename: str, limit: int) -> tuple[Path, str, str]:
    """Returns (path, filename, note for the user). Never hands back a file over ``limit``."""
    size = (await asyncio.to_thread(path.stat)).st_size
    if size <= limit:
        return path, filename, ""
    zipped = await asyncio.to_thread(_zip, path)
    zsize = (await asyncio.to_thread(zipped.stat)).st_size
    if zsize <= limit:
        return zipped, filename + ".zip", (
            f" It was {size / 1_048_576:.1f} MB, over this server's upload limit of "
            f"{limit / 1_048_576:.0f} MB, so it is zipped."
        )
    raise ExportTooLarge(
        f"The export is {size / 1_048_576:.1f} MB ({zsize / 1_048_576:.1f} MB zipped), over this "
        f"server's upload limit of {limit / 1_048_576:.0f} MB. Export one group at a time "
        "(scope: session), or ask the bot's operator to run `workshop-bot export` on the server."
    )
