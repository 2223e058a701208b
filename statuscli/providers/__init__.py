"""The provider registry: the known task APIs by name (`record`, one module each: `anchor`,
`browserable`, `browser_use`, `hyperbrowser`, `skyvern`, `browseract`), and the checked targets they
are asked about (`targets`, the watch-file grammar).

Light on purpose (no HTTP, no rendering): the command line builds its commands from it at start-up.
May import `core` and `version` only.
"""

from __future__ import annotations

from statuscli.core.errors import UsageError
from statuscli.core.ids import check_id
from statuscli.core.models import Target
from statuscli.providers import anchor, browser_use, browserable, browseract, hyperbrowser, skyvern
from statuscli.providers.record import Provider

__all__ = [
    "BUILT_IN",
    "Provider",
    "check_provider",
    "get_provider",
    "make_target",
    "provider_names",
    "providers",
    "register",
    "split_word",
    "unregister",
]

_REGISTRY: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    """Add a provider (or replace the one of that name); it gets a command, a config table and so on."""
    _REGISTRY[provider.name] = provider
    return provider


def unregister(name: str) -> None:
    """Remove a provider added with `register` (tests)."""
    _REGISTRY.pop(name, None)


def providers() -> tuple[Provider, ...]:
    """Every registered provider, in the order it was registered."""
    return tuple(_REGISTRY.values())


def provider_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def check_provider(name: str) -> str:
    """`name` if it is a known provider, else a usage error that lists the known ones."""
    if name not in _REGISTRY:
        raise UsageError(f"unknown provider '{name}' (choose from: {', '.join(_REGISTRY)})")
    return name


def get_provider(name: str) -> Provider:
    return _REGISTRY[check_provider(name)]


def split_word(word: str) -> tuple[str, str | None]:
    """`hyperbrowser/cua` -> (`hyperbrowser`, `cua`); `anchor` -> (`anchor`, None). The provider is
    checked, the variant is not (`make_target` does)."""
    name, slash, variant = word.partition("/")
    return check_provider(name.lower()), (variant if slash else None)


def make_target(
    provider: str,
    task_id: str,
    run_id: str | None = None,
    variant: str | None = None,
    *,
    default_variant: str | None = None,
) -> Target:
    """A checked target: a known provider, a known variant (`variant`, else `default_variant` from the
    config, else the provider's own default) and ids that cannot change the endpoint."""
    spec = get_provider(provider)
    chosen = spec.variant(variant or default_variant)
    check_id(task_id, "task id")
    if chosen.ids is not None:
        chosen.ids.check(provider, task_id, "task id")
    if run_id is not None:
        if not spec.supports_run_id:
            raise UsageError(f"{provider} has no run ids")
        check_id(run_id, "run id")
    return Target(provider=provider, task_id=task_id, run_id=run_id, variant=chosen.name or None)


#: The providers shipped with statuscli, in the order their commands are listed.
BUILT_IN: tuple[Provider, ...] = (
    anchor.PROVIDER,
    browserable.PROVIDER,
    browser_use.PROVIDER,
    hyperbrowser.PROVIDER,
    skyvern.PROVIDER,
    browseract.PROVIDER,
)
for _provider in BUILT_IN:
    register(_provider)

#: Modules to import after the built-in providers, comma-separated: each registers providers of its own
#: (`register(PROVIDER)`), which then get everything the built-in ones have. For a provider that lives
#: outside this package, and for the test suite's fake provider.
EXTRA_PROVIDERS_ENV = "STATUSCLI_PROVIDERS"


def _load_extra_providers() -> None:
    import os

    for module in filter(None, (name.strip() for name in os.environ.get(EXTRA_PROVIDERS_ENV, "").split(","))):
        try:
            __import__(module)
        except ImportError as exc:
            raise UsageError(f"{EXTRA_PROVIDERS_ENV}: cannot import {module}: {exc}") from None


_load_extra_providers()
