"""HTTP to the providers' APIs: one requests session per provider with its timeouts, one attempt per
call and safe URLs (`client`), an attempt under a deadline that frees its thread and its socket, and
transport failures as errors (`transport`), and what may be sent where (`safety`).

The only package that imports requests and urllib3. May import `config`, `providers`, `core` and
`version`; not `engine` (its sibling), nor anything above it. No typer or rich.
"""
