"""The surfaces for AI assistants, with no Flask in them: the MCP server and the citations both it and the
OpenAI-compatible endpoint (``service/openai_api.py``) give.

``mcp_server`` builds an MCP server over the answering pipeline (``qa.pipeline.build_pipeline``), served
over stdio (``python -m assistants.mcp_server``) or, mounted in the web app, over streamable HTTP at
``/mcp`` (``service/mcp_http.py``). ``citations`` turns an ``Answer`` into links to the article's
paragraphs and into the Markdown reply of ``/v1/chat/completions``.
"""
