"""A small cache of recently queried task ids, per provider, for shell completion.

Holds ids only (never keys), capped, in the user state directory. Every failure to read or write it is
ignored: completion is a convenience, never a reason for a command to fail.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping

TYPE_CHECKING = False  # shell completion reads this module: `typing` alone costs more than it
if TYPE_CHECKING:
    from statuscli.core.models import Target

MAX_PER_PROVIDER = 50
FILENAME = "recent.json"


def state_dir(env: Mapping[str, str] | None = None) -> str:
    """Where small caches live (recent task ids for completion): never keys. A plain path, not a
    `pathlib.Path`: a tab completion reads this module, and pathlib costs it a fifth of its time."""
    env = os.environ if env is None else env
    home = os.path.expanduser("~")
    if sys.platform == "win32":  # pragma: no cover
        base = env.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
    elif sys.platform == "darwin":  # pragma: no cover
        base = os.path.join(home, "Library", "Application Support")
    else:
        base = env.get("XDG_STATE_HOME") or os.path.join(home, ".local", "state")
    return os.path.join(base, "statuscli")


def recent_path() -> str:
    return os.path.join(state_dir(), FILENAME)


def load() -> dict[str, list[str]]:
    try:
        with open(recent_path(), encoding="utf-8") as file:
            data = json.loads(file.read())
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
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as file:
            file.write(json.dumps(data))
        os.replace(tmp, path)
    except OSError:
        pass


def complete(provider: str, incomplete: str) -> list[str]:
    return [i for i in load().get(provider, []) if i.startswith(incomplete)]
