"""``python -m bench serve``, ``scale``, ``assistants`` or ``archive``; see each module's --help."""

import sys

from . import archive, assistants, scale, serve

COMMANDS = {"serve": serve.main, "scale": scale.main, "assistants": assistants.main, "archive": archive.main}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print("usage: python -m bench {serve,scale,assistants,archive} [options]", file=sys.stderr)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
