"""What people see in a terminal: `table` (the fitted table, a one-shot's output) and `live` (the
watch's views and the one-shot's status line).

The only package that imports rich (scripts' formats, JSON and NDJSON, are in `output`). Server text
reaches rich as `Text` objects built from `clean()`ed strings, never as markup, so a hostile `error`
field cannot style, link or move anything.
"""
