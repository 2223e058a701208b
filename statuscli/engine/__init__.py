"""The poll engine: one scheduler for a watch and a one-shot (`watcher`, its options in
`options`), its worker pool and
bulkhead (`pool`), the request budget per provider (`budget`, with its sequential test in
`overload`), and the one retry policy (`retry`). Pure of I/O of its own: it calls the fetch function
it is given and takes the time from the clock it is given.

May import `config`, `providers`, `core` and `version`; not `http` (its sibling: the engine is given
a fetch function, it does not make requests), nor anything above it. No typer, rich or requests.
"""
