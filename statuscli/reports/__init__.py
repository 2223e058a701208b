"""What scripts and CI read, without rich: the `--json` document and NDJSON events (`json`), and the CI
reports: what a report says about a run (`model`), the JUnit XML file (`junit`), GitHub Actions
annotations and step summary (`github`), and recording a run for them (`ci`).

May import `engine`, `http`, `config`, `providers`, `core` and `version`; not its siblings `render`,
`session`, `sim`, nor anything above it. Never rich, typer or requests, so `--json` and error paths
load none of them.
"""
