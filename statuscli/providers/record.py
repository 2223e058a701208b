"""The provider record: everything statuscli knows about one task API, in one frozen value.

A provider declares how its key travels (`KeyAuth`), which request a target makes (`Route`), what its
ids must look like (`IdRule`), how a 200 body reads (`Variant.parse`) and what its error bodies mean
(`Variant.errors`). A provider that offers a choice (an API version, an agent) declares one `Variant`
per choice and a `Choice` saying how a user picks it; the others have exactly one variant, named "".
The command line, the watch-file grammar, the config tables, the HTTP client and the README are read
from these fields: no module outside a provider's own names it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statuscli.core.errors import StatusCliError, UsageError
from statuscli.core.models import Phase, Target, TaskStatus

__all__ = ["Choice", "ErrorAnswer", "ErrorRule", "IdRule", "KeyAuth", "Provider", "Route", "Variant"]


@dataclass(frozen=True)
class KeyAuth:
    """How the API key travels: `header: key`, or `header: scheme key` (`Authorization: Bearer key`).

    Keys never hold a space (see `config.key_problem`), so the scheme is always statuscli's to add."""

    header: str
    scheme: str | None = None

    def headers(self, key: str) -> dict[str, str]:
        return {self.header: f"{self.scheme} {key}" if self.scheme else key}

    def describe(self) -> str:
        """`the x-api-key header`, `an Authorization: Bearer header`, for help texts."""
        return f"an {self.header}: {self.scheme} header" if self.scheme else f"the {self.header} header"


_PLACEHOLDER = re.compile(r"\{(id|run_id|variant)\}")


@dataclass(frozen=True)
class Route:
    """`GET {base}{path}?{query}` for one target.

    Placeholders `{id}`, `{run_id}` and `{variant}` each fill a whole path segment (percent-encoded by
    the HTTP client) or a whole query value; a query parameter whose value is missing is left out."""

    path: str
    query: tuple[tuple[str, str], ...] = ()

    def build(self, target: Target) -> tuple[list[str], dict[str, str]]:
        """Path segments and query parameters for `target`."""
        values = {"id": target.task_id, "run_id": target.run_id, "variant": target.variant}
        segments: list[str] = []
        for part in self.path.strip("/").split("/"):
            match = _PLACEHOLDER.fullmatch(part)
            value = values[match.group(1)] if match else part
            if value is None:
                raise ValueError(f"{part} is not set for {target}")
            segments.append(value)
        params: dict[str, str] = {}
        for name, template in self.query:
            match = _PLACEHOLDER.fullmatch(template)
            value = values[match.group(1)] if match else template
            if value is not None:
                params[name] = value
        return segments, params

    def describe(self, variant_word: str = "variant") -> str:
        """`GET /api/task/{agent}/{id}/status`, `GET /v2/...?task_id={id}`, for help texts and docs."""
        text = self.path.replace("{variant}", "{" + variant_word + "}")
        query = [f"{name}={value}" for name, value in self.query if value != "{run_id}"]
        optional = [f"{name}={value}" for name, value in self.query if value == "{run_id}"]
        if query:
            text += "?" + "&".join(query)
        if optional:
            text += "[" + ("&" if query else "?") + "&".join(optional) + "]"
        return f"GET {text}"


@dataclass(frozen=True)
class ErrorAnswer:
    """A non-200 answer as the HTTP client decoded it, for a provider's error rule."""

    provider: str
    status: int
    #: The decoded JSON body, or None when the body is not JSON.
    payload: Any
    is_json: bool
    #: The message of the body, from the shared reader (`message`, `detail`, `error`, `msg`).
    message: str | None
    base_url: str


#: What an error answer means: the error to raise, or None for the common mapping (401/403 -> 4,
#: 404 -> 5 or a wrong base URL, 408/429/5xx transient, redirects and the rest -> 6).
ErrorRule = Callable[[ErrorAnswer], StatusCliError | None]


@dataclass(frozen=True)
class IdRule:
    """What a task id must look like before any request is made (a mismatch is a usage error)."""

    #: Matched against the whole id.
    pattern: re.Pattern[str]
    #: What the id should be, for the message: `a UUID such as 5b1e0c7a-...`.
    hint: str

    def check(self, provider: str, task_id: str, what: str) -> None:
        if self.pattern.fullmatch(task_id) is None:
            raise UsageError(f"{provider} {what} '{task_id}' is not valid: expected {self.hint}")


@dataclass(frozen=True)
class Variant:
    """One way of asking a provider: an API version (Browser Use), an agent (Hyperbrowser), or the
    only one (named "")."""

    name: str
    route: Route
    auth: KeyAuth
    #: The pure parser of a 200 body; raises a `StatusCliError` subclass on a body that says "error".
    parse: Callable[[Target, Any], TaskStatus]
    #: What the API's error answers mean, before the common mapping (see `ErrorRule`).
    errors: ErrorRule | None = None
    #: What its task ids must look like, beyond the common check (`ids.check_id`).
    ids: IdRule | None = None
    #: The state words the API documents, so a live view's state column fits them from the start.
    states: tuple[str, ...] = ()
    #: What the documented states mean when the API gives nothing more (the others are pending), for
    #: the README's tables; the parser decides each answer.
    phases: Mapping[str, Phase] = field(default_factory=dict, hash=False, compare=False)
    #: Seconds after a target joins a watch during which a 404 is asked again, while the target has
    #: never answered 200 (an API that makes a new task visible a moment after creating it).
    early_404_grace: float = 0.0
    #: A remark shown next to its name in help texts (`legacy`).
    note: str = ""


@dataclass(frozen=True)
class Choice:
    """How a user picks a provider's variant: the option `--OPTION NAME`, the word `PROVIDER/NAME` in
    `watch` arguments and watch files, and the config key `OPTION` of the provider's table."""

    #: The option and config key: `api`, `agent`.
    option: str
    #: How the value is shown in help and grammar: `VERSION`, `AGENT`.
    metavar: str
    #: The variant used when nobody names one; None: one must be named (a usage error otherwise).
    default: str | None
    help: str

    @property
    def option_phrase(self) -> str:
        """`an api`, `an agent`, for messages."""
        return f"an {self.option}" if self.option[:1] in "aeiou" else f"a {self.option}"


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
    #: The ways of asking it; exactly one (named "") unless `choice` says how to pick one.
    variants: tuple[Variant, ...]
    choice: Choice | None = None
    #: How a task id is called in help and grammar: `TASK_ID`, `RUN_ID`, `JOB_ID`.
    id_word: str = "TASK_ID"
    #: Whether a target may name a run (`--run-id`, a third word on a watch-file line).
    supports_run_id: bool = False
    #: Whether its statuses may carry a live-view URL (the live view then keeps a LIVE column).
    live_urls: bool = False
    #: A path users put on the base URL that the routes add themselves (`/api/v4`): dropped.
    base_path_suffix: str | None = None
    #: The one-shot command's help (its first line is the summary in `status --help`).
    help: str = ""
    #: The dotted module path of the simulator's routes for this API (imported lazily), if any.
    simulator: str | None = None

    def __post_init__(self) -> None:
        if not self.variants:
            raise ValueError(f"{self.name}: a provider needs at least one variant")
        if self.choice is None and len(self.variants) != 1:
            raise ValueError(f"{self.name}: several variants need a choice")
        if self.choice is not None and self.choice.default not in (None, *self.variant_names):
            raise ValueError(f"{self.name}: the default {self.choice.default!r} is not a variant")

    @property
    def variant_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variants)

    def variant(self, name: str | None) -> Variant:
        """The variant a target names (None: the only one, or the default); a `UsageError` if unknown."""
        if self.choice is None:
            if name:
                raise UsageError(f"{self.name} has no variants ('{self.name}/{name}')")
            return self.variants[0]
        chosen = name or self.choice.default
        if chosen is None:
            raise UsageError(
                f"{self.name} needs {self.choice.option_phrase}: give --{self.choice.option} "
                f"{self.choice.metavar} or write {self.name}/{self.choice.metavar} "
                f"(choose from: {', '.join(self.variant_names)})"
            )
        for variant in self.variants:
            if variant.name == chosen:
                return variant
        names = ", ".join(self.variant_names)
        raise UsageError(f"unknown {self.name} {self.choice.option} '{chosen}' (choose from: {names})")

    def request(self, target: Target) -> tuple[list[str], dict[str, str]]:
        """Path segments and query parameters of the status request for `target`."""
        return self.variant(target.variant).route.build(target)

    def parse(self, target: Target, payload: Any) -> TaskStatus:
        """The status a 200 body means for `target`."""
        return self.variant(target.variant).parse(target, payload)

    @property
    def states(self) -> tuple[str, ...]:
        """Every variant's documented states, each once."""
        return tuple(dict.fromkeys(state for v in self.variants for state in v.states))

    @property
    def key_header(self) -> str:
        """The header carrying the key (of the default, or first, variant)."""
        default = self.choice.default if self.choice is not None else None
        return (self.variant(default) if default else self.variants[0]).auth.header

    @property
    def grammar(self) -> str:
        """What a watch-file line for this provider looks like."""
        head = self.name
        if self.choice is not None:
            word = f"/{self.choice.metavar}"
            head += word if self.choice.default is None else f"[{word}]"
        return f"{head} {self.id_word}" + (" [RUN_ID]" if self.supports_run_id else "")

    def words(self) -> tuple[str, ...]:
        """The first words of a watch target for this provider: `name`, and `name/VARIANT` for each."""
        if self.choice is None:
            return (self.name,)
        return (self.name, *(f"{self.name}/{v}" for v in self.variant_names))
