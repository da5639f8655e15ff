"""Command line: ``python -m index build`` writes the index; ``python -m index info`` shows it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.settings import SettingError, load_settings

from .encoder import SentenceTransformerEncoder
from .errors import IndexError_
from .store import build_index, load_index, read_manifest


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
    except SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__)
    parser.add_argument("command", choices=["build", "info", "check"], help="build the index, show it, or verify it")
    parser.add_argument("--corpus", default=settings["CORPUS_DIR"], help="corpus folder (QA_CORPUS_DIR)")
    parser.add_argument("--out", default=settings["INDEX_DIR"], help="index folder (QA_INDEX_DIR)")
    parser.add_argument("--model", default=settings["MODEL_DIR"] or None, help="local model folder (QA_MODEL_DIR)")
    parser.add_argument("--if-missing", action="store_true", help="build only when no valid index is there")
    args = parser.parse_args(argv)
    try:
        if args.command == "info":
            print(json.dumps(read_manifest(Path(args.out)), indent=2))
            return 0
        encoder = SentenceTransformerEncoder(Path(args.model) if args.model else None)
        if args.command == "check" or args.if_missing:
            try:
                load_index(Path(args.out), Path(args.corpus), encoder)
                print(f"index in {args.out} is up to date")
                return 0
            except IndexError_ as exc:
                if args.command == "check":
                    raise
                print(f"building: {exc.message}")
        manifest = build_index(Path(args.corpus), Path(args.out), encoder)
        print(
            f"built {manifest['passages']} passages, {manifest['sentences']} sentences "
            f"from {len(manifest['documents'])} document(s) in {manifest['build_seconds']} s -> {args.out}"
        )
        return 0
    except IndexError_ as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
