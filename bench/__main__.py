"""``python -m bench serve``, ``python -m bench scale`` or ``python -m bench assistants``; see each module's --help."""

import sys

from . import assistants, scale, serve

COMMANDS = {"serve": serve.main, "scale": scale.main, "assistants": assistants.main}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print("usage: python -m bench {serve,scale,assistants} [options]", file=sys.stderr)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
