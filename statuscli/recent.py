"""A small cache of recently queried task ids, per provider, for shell completion.

Holds ids only (never keys), capped, in the user state directory. Every failure to read or write it is
ignored: completion is a convenience, never a reason for a command to fail.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

TYPE_CHECKING = False  # shell completion reads this module: `typing` alone costs more than it
if TYPE_CHECKING:
    from .models import Target

MAX_PER_PROVIDER = 50
FILENAME = "recent.json"


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where small caches live (recent task ids for completion): never keys."""
    env = os.environ if env is None else env
    if sys.platform == "win32":  # pragma: no cover
        base = Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":  # pragma: no cover
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "statuscli"


def recent_path() -> Path:
    return state_dir() / FILENAME


def load() -> dict[str, list[str]]:
    try:
        data = json.loads(recent_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): [i for i in v if isinstance(i, str)][:MAX_PER_PROVIDER]
        for k, v in data.items()
        if isinstance(v, list)
    }


def remember(targets: Iterable[Target]) -> None:
    """Put these task ids first in their provider's list."""
    targets = list(targets)
    if not targets or os.environ.get("STATUSCLI_NO_HISTORY", "").strip() not in ("", "0"):
        return
    data = load()
    for target in reversed(targets):
        ids = data.setdefault(target.provider, [])
        if target.task_id in ids:
            ids.remove(target.task_id)
        ids.insert(0, target.task_id)
        del ids[MAX_PER_PROVIDER:]
    path = recent_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{FILENAME}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def complete(provider: str, incomplete: str) -> list[str]:
    return [i for i in load().get(provider, []) if i.startswith(incomplete)]
