"""MCP sessions with the SDK's own client: over stdio (a server process it launches) and over streamable HTTP.

Each transport's session is opened once per module and shared by its tests, so the model loads
once per transport; every test then talks to a real server process.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import ROOT

STDIO_PUBLIC_URL = "https://qa.example.org"  # links from the stdio server, which reads QA_PUBLIC_URL
HTTP_PUBLIC_URL = "http://127.0.0.1:8000"  # the session's gunicorn keeps the default


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def stdio_parameters(index_dir, corpus_dir, **env: str) -> StdioServerParameters:
    """``python -m assistants.mcp_server`` over the session's index, as a desktop assistant launches it."""
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistants.mcp_server"],
        cwd=ROOT,
        env={
            "HF_HUB_OFFLINE": "1",
            "QA_INDEX_DIR": str(index_dir),
            "QA_CORPUS_DIR": str(corpus_dir),
            "QA_PUBLIC_URL": STDIO_PUBLIC_URL,
            **env,
        },
    )


@pytest.fixture(scope="module", params=["stdio", "http"])
async def mcp_session(request, index_dir, corpus_dir, tmp_path_factory) -> AsyncIterator[tuple[ClientSession, str]]:
    """An initialised ``ClientSession`` and the public URL its links use, per transport."""
    async with AsyncExitStack() as stack:
        if request.param == "stdio":
            log = tmp_path_factory.mktemp("mcp-stdio") / "server.log"  # stdout carries the protocol
            errlog = stack.enter_context(log.open("w"))
            transport = stdio_client(stdio_parameters(index_dir, corpus_dir), errlog=errlog)
            public_url = STDIO_PUBLIC_URL
        else:
            transport = streamable_http_client(request.getfixturevalue("server").url + "/mcp")
            public_url = HTTP_PUBLIC_URL
        read, write = await stack.enter_async_context(transport)
        session = await stack.enter_async_context(ClientSession(read, write))
        await session.initialize()
        yield session, public_url
