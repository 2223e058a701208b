"""Settings from outside the code: the config file (`files`) and resolving each provider's settings from
flags or code, the environment, the file and the defaults (`resolve`, `Resolver`). Never prints a secret.

May import `statuscli.providers` and `statuscli.core` only. The settings values themselves
(`ProviderSettings`, `Settings`, the defaults and key checks) live in `statuscli.core.settings` and are
re-exported here for the modules that read them with the rest of the configuration.
"""

from statuscli.config.files import (
    CONFIG_ENV,
    FILE_KEYS,
    ConfigFile,
    config_path,
    config_variant,
    load_config_file,
    write_key,
)
from statuscli.config.resolve import (
    ConfigSource,
    Resolver,
    default_variant,
    normalize_base_url,
    read_once,
    resolve,
    resolve_lines,
    resolve_target,
)
from statuscli.core.settings import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    ProviderSettings,
    Settings,
    key_problem,
    mask_key,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "FILE_KEYS",
    "MAX_TIMEOUT",
    "ConfigFile",
    "ConfigSource",
    "ProviderSettings",
    "Resolver",
    "Settings",
    "config_path",
    "config_variant",
    "default_variant",
    "key_problem",
    "load_config_file",
    "mask_key",
    "normalize_base_url",
    "read_once",
    "resolve",
    "resolve_lines",
    "resolve_target",
    "write_key",
]
