"""``python -m bench serve`` or ``python -m bench scale``; see each module's --help."""

import sys

from . import scale, serve

COMMANDS = {"serve": serve.main, "scale": scale.main}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print("usage: python -m bench {serve,scale} [options]", file=sys.stderr)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
