"""Where the real scans with transcripts are: ``shared/realscans/`` beside the
checkout (read-only input of the project, not part of it), or the folder named
by ``SOHOA_REALSCANS``. Tests and the bench read them; nothing writes there."""

from __future__ import annotations

import os
from pathlib import Path

REALSCANS_ENV = "SOHOA_REALSCANS"
_CHECKOUT = Path(__file__).resolve().parents[2]
# Beside this checkout, then the workplace's shared folder (a clone elsewhere).
_DEFAULT_PLACES = (_CHECKOUT.parent / "shared" / "realscans", Path("/work/shared/realscans"))


def realscans_dir() -> Path:
    """The real-scans folder.

    Raises:
        FileNotFoundError: naming the places looked at and the variable to set.
    """
    named = os.environ.get(REALSCANS_ENV)
    places = (Path(named),) if named else _DEFAULT_PLACES
    for place in places:
        if place.is_dir():
            return place
    raise FileNotFoundError(
        "No real scans at " + " or ".join(map(str, places)) + f": set {REALSCANS_ENV}"
    )
