"""A folder made read-only for real, even for root, who ignores permissions."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """``folder`` read-only until the block ends: as root, a read-only bind
    mount of it over itself (permissions would not stop root); as another
    user, its files and folders without write permission."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in [folder, *folder.rglob("*")]}
        for path, mode in modes.items():
            path.chmod(mode & ~0o222)
        try:
            yield folder
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    for args in (["--bind", folder, folder], ["-o", "remount,bind,ro", folder]):
        done = subprocess.run(["mount", *map(str, args)], capture_output=True, text=True)
        if done.returncode:
            subprocess.run(["umount", str(folder)], capture_output=True)
            pytest.fail(f"Cannot mount {folder} read-only: {done.stderr.strip()}", pytrace=False)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)
