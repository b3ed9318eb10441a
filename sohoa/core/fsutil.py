"""Durable file-system helpers shared by the inbox and the filesystem store."""

from __future__ import annotations

import os
import stat
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


def wider_than_private(folder: Path) -> list[str]:
    """Every folder under ``folder`` (itself included) and file that other
    users may read, write or enter (any group or other bit), as ``"0755 path"``;
    links are not followed."""
    found = []
    for root, folders, files in os.walk(folder):
        base = Path(root)
        paths = [base] if base == folder else []
        paths += [base / name for name in (*folders, *files)]
        for path in paths:
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and mode & 0o077:
                found.append(f"{stat.S_IMODE(mode):04o} {path}")
    return sorted(found)
