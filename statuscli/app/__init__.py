"""The use cases: what each command does, without a parser, each through the service layer
(`statuscli.session`). The one-shot (`oneshot`), the watch (`watch`, its targets in `inputs`, streamed
targets in `stream`, and how it is shown in `watching`), the settings (`configure`), the simulator's
demo (`demo`), the end-of-watch alerts (`alerts`), the completion cache (`recent`), and the process
policy every run shares: errors to exit codes, signals, a closed stdout (`runtime`).

May import the layers below it: `session`, `render`, `reports`, `sim`, `engine`, `http`, `config`,
`providers`, `core`, `version`; not `cli` above it, nor its sibling `api`. Never typer; rich and
requests only through `render` and `http` (the import-linter contracts in pyproject.toml).
"""
