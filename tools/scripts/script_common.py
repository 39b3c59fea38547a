"""What tools/scripts/torch2h5.py and tools/scripts/h52torch.py share: one-line refusals and
the exit status 2 they end with, and atomic output files (imported from the
scripts' own directory)."""
import argparse
import os
import sys


class Refused(Exception):
    """Bad input: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, like every other refusal
        raise Refused(message + " (see --help)")


def run_main(name, main):
    """Exits with main(sys.argv[1:]), or with status 2 and one line
    "NAME: error: ..." on stderr when it refuses its input."""
    try:
        sys.exit(main(sys.argv[1:]))
    except Refused as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        sys.exit(2)


def write_atomically(path, write):
    """Calls write(tmp) on path + ".tmp", then renames it to path, so that path
    is either its old self or complete; the temporary file never stays."""
    tmp = path + ".tmp"
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise Refused(f"-o: cannot write '{path}': {e.strerror or e}")
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
