"""Run one command; write its wall time, exit code, CPU and peak RSS as JSON to OUT (used by common.py).

    python -I -S benchmarks/launch.py OUT CMD [ARGS...]

Why a launcher: Linux keeps a process's peak RSS across exec, so a command started straight from the
benchmark harness (a big Python process, cloned with vfork) reports the harness's size as its own
ru_maxrss. Forked from this small process instead, it reports max(its own peak, this launcher's ~10 MiB).
The wall time runs from just before the fork to the reaped exit, so the launcher's own start-up is not in
it. Standard library only, no site-packages (-I -S).
"""

import json
import os
import sys
import time


def main() -> int:
    out, cmd = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: become the command
        try:
            os.execvp(cmd[0], cmd)  # noqa: S606
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    result = {
        "wall": wall,
        "returncode": os.waitstatus_to_exitcode(status),
        "cpu": usage.ru_utime + usage.ru_stime,
        "maxrss_kib": usage.ru_maxrss,
    }
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
