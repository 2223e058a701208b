"""The small core every layer shares: values and rules with no I/O beyond a one-line message.
Exit codes and errors (`errors`), what a task is and where it stands (`models`), what the engine
reports (`outcomes`), durations and rates as people type them (`durations`), ids that may be sent
(`ids`), settings as values (`settings`), which answers are transient (`transient`), inert
server text (`text`), the process's streams for people (`console`) and worker threads
that leave the stop signals to the main thread (`threads`).

The bottom layer: imports nothing of statuscli outside `core` (the standard library only).
"""
