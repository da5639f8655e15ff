"""Benchmarks, loopback only and bounded in time.

``python -m bench serve``: the running service under load. ``python -m bench scale``: FAISS at 10k-1M vectors.
"""
