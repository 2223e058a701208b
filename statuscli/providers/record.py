"""The provider record: everything statuscli knows about one task API, in one frozen value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statuscli.core.models import Target, TaskStatus


@dataclass(frozen=True)
class Provider:
    """One task-status API. The commands, the watch-file grammar, the config tables, `status config`
    and the demo are all generated from these fields; a new API is one module declaring one of these.
    """

    #: The command name, the watch-file word and the config table: `status NAME ID`, `[NAME]`.
    name: str
    #: Environment variables holding the API key, first one wins (and is the one suggested).
    key_env: tuple[str, ...]
    #: The environment variable overriding the base URL, and the URL used when nobody sets one.
    base_url_env: str
    default_base_url: str
    #: The HTTP header carrying the key.
    key_header: str
    #: Whether a target may name a run (`--run-id`, a third word on a watch-file line).
    supports_run_id: bool
    #: Path segments and query parameters of the status request for one target.
    request: Callable[[Target], tuple[list[str], dict[str, str]]]
    #: The pure parser of a 200 body; raises a `StatusCliError` subclass on a body that says "error".
    parse: Callable[[Target, Any], TaskStatus]
    #: The state words the API documents, so a live view's state column fits them from the start.
    states: tuple[str, ...] = ()
    #: Whether its statuses may carry a live-view URL (the live view then keeps a LIVE column).
    live_urls: bool = False
    #: The one-shot command's help (its first line is the summary in `status --help`).
    help: str = ""
    #: The dotted module path of the simulator's routes for this API (imported lazily), if any.
    simulator: str | None = None

    @property
    def grammar(self) -> str:
        """What a watch-file line for this provider looks like."""
        return f"{self.name} TASK_ID" + (" [RUN_ID]" if self.supports_run_id else "")
