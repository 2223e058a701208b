"""What people see in a terminal: the fitted table, a one-shot's output (`table`); the watch's live
view (`live`) and its plain lines when stdout is not a terminal (`plain`); the one-shot's waiting line
(`waiting`); and, without rich, what a row says (`rows`) and what things are called (`words`).

The only package that imports rich. Server text reaches rich as `Text` objects built from `clean()`ed
strings, never as markup, so a hostile `error` field cannot style, link or move anything. May import
`engine`, `http`, `config`, `providers`, `core` and `version`; not its siblings `reports`, `session`,
`sim`, nor anything above it. No typer or requests.
"""
