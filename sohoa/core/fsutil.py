"""Durable file-system helpers shared by the inbox and the filesystem store."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Persist a folder's entries (a rename or new file in it) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Citizens' records: nothing sohoa creates is readable by other local users.
PRIVATE_UMASK = 0o077


def private_by_default() -> None:
    """New folders 0700 and files 0600 from here on, in this process and its children."""
    os.umask(PRIVATE_UMASK)
