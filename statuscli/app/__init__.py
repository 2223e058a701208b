"""The use cases: what each command does, without a parser. One-shot and watch (`commands`), the
settings (`configure`), the simulator's demo (`demo`), streamed targets (`stream`), the end-of-watch
alerts (`alerts`), the completion cache (`recent`), and the process policy every run shares: errors to
exit codes, signals, a closed stdout (`runtime`).

May import the layers below it: `session`, `render`, `reports`, `sim`, `engine`, `http`, `config`,
`providers`, `core`, `version`; not `cli` above it, nor its sibling `api`. Never typer; rich and
requests only through `render` and `http` (the import-linter contracts in pyproject.toml).
"""
