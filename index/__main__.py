"""Command line: ``python -m index build`` writes the index; ``add FILE`` / ``remove DOC`` grow or shrink it;
``info`` shows it; ``check`` verifies it. The engine is QA_VECTOR_STORE's (FAISS or Milvus)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.settings import SettingError, load_settings

from .archive import faiss_add, faiss_remove, stored_parts
from .encoder import SentenceTransformerEncoder
from .errors import IndexError_
from .milvus_archive import check_record, in_step, milvus_add, milvus_build, milvus_remove
from .milvus_store import MilvusStore
from .onnx_encoder import ONNX_FILE, export_onnx
from .store import build_index, load_index, read_manifest

# In Milvus mode the corpus lives in Milvus; a local folder is only mirrored while it holds the same corpus.
_NOT_MIRRORED = "left as it is (it does not hold the corpus in Milvus; `python -m index info` shows that one)"


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
    except SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__)
    parser.add_argument(
        "command", choices=["build", "info", "check", "add", "remove"], help="what to do with the index"
    )
    parser.add_argument("target", nargs="?", help="add: the document's .txt file; remove: the document id")
    parser.add_argument("--corpus", default=settings["CORPUS_DIR"], help="corpus folder (QA_CORPUS_DIR)")
    parser.add_argument("--out", default=settings["INDEX_DIR"], help="index folder (QA_INDEX_DIR)")
    parser.add_argument("--model", default=settings["MODEL_DIR"] or None, help="local model folder (QA_MODEL_DIR)")
    parser.add_argument(
        "--store", default=settings["VECTOR_STORE"], choices=["faiss", "milvus"], help="QA_VECTOR_STORE"
    )
    parser.add_argument("--milvus-uri", default=settings["MILVUS_URI"], help="QA_MILVUS_URI")
    parser.add_argument("--if-missing", action="store_true", help="build only when no valid index is there")
    parser.add_argument(
        "--from-faiss",
        metavar="DIR",
        help="build into Milvus from the FAISS index in DIR (same corpus and model), without encoding again",
    )
    args = parser.parse_args(argv)
    if args.command in ("add", "remove") and not args.target:
        parser.error(f"{args.command} needs a {'file' if args.command == 'add' else 'document id'}")
    milvus = args.store == "milvus"
    corpus, out = Path(args.corpus), Path(args.out)
    try:
        store = MilvusStore(args.milvus_uri) if milvus else None
        if args.command == "info":
            print(json.dumps(store.corpus() if store else read_manifest(out), indent=2))
            return 0
        encoder = SentenceTransformerEncoder(Path(args.model) if args.model else None)
        if args.command in ("add", "remove"):
            note = ""
            if store is not None:
                change = milvus_add if args.command == "add" else milvus_remove
                mirrored = in_step(corpus, store.corpus())
                manifest = change(store, encoder, args.target, corpus)
                note = f"\ncorpus folder {corpus}: " + ("changed too" if mirrored else _NOT_MIRRORED)
            else:
                manifest = (faiss_add if args.command == "add" else faiss_remove)(corpus, out, encoder, args.target)
            version = manifest["corpus_version"]
            print(f"{args.command}: {args.target}; corpus version {version}, {_summary(manifest)}{note}")
            return 0
        if args.command == "check" or args.if_missing:
            try:
                if store is not None:
                    check_record(store.corpus(), store.uri, encoder)
                else:
                    load_index(out, corpus, encoder)
                print(f"index in {store.uri if store else out} is up to date")
                return 0
            except IndexError_ as exc:
                if args.command == "check":
                    raise
                print(f"building: {exc.message}")
        if args.from_faiss and store is None:
            parser.error("--from-faiss moves a FAISS index into Milvus: give --store milvus (or QA_VECTOR_STORE)")
        if store is not None:
            if args.from_faiss:  # checked against the corpus and the model like any index a server loads
                source = load_index(Path(args.from_faiss), corpus, encoder)
                parts = stored_parts(source)
                manifest = milvus_build(corpus, store, encoder, int(source.manifest["max_words"]), parts)
            else:
                manifest = milvus_build(corpus, store, encoder)
            if not (out / ONNX_FILE).exists():  # the question encoder's graph stays beside each server
                out.mkdir(parents=True, exist_ok=True)
                export_onnx(encoder.model_dir, out / ONNX_FILE)
        else:
            manifest = build_index(corpus, out, encoder)
        print(f"built {_summary(manifest)} in {manifest['build_seconds']} s -> {store.uri if store else out}")
        return 0
    except IndexError_ as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _summary(manifest: dict) -> str:
    return (
        f"{manifest['passages']} passages, {manifest['sentences']} sentences "
        f"from {len(manifest['documents'])} document(s)"
    )


if __name__ == "__main__":
    sys.exit(main())
