"""`python -m bench.rss OUT_JSON COMMAND...`: run COMMAND; write its exit code, wall time and peak RSS.

Why a process in between: on Linux a child's ru_maxrss also counts the address space
it was forked (or vforked) from until its exec, so a command started straight from
the benchmark, which may hold hundreds of MiB, would inherit that figure. Started
from this small process, the command's own peak is what remains.
"""

import json
import os
import subprocess
import sys
import time


def main(argv=None):
    out, *command = argv or sys.argv[1:]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    figures = {
        "exit_code": process.returncode,
        "seconds": time.perf_counter() - started,
        "peak_rss_kib": usage.ru_maxrss,
    }
    with open(out, "w") as handle:
        json.dump(figures, handle)
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
