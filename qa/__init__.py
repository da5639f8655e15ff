"""The question-answering core: answers, follow-ups, limits, settings, the pipeline and its evaluation.

No web framework in it (``service`` is the web edge, ``index`` the retrieval library beneath):
import it from a script, a notebook or another surface and get the same answers as the API.
Nothing is imported here, so that reading settings (``qa.settings``, as gunicorn.conf.py does in
the master process) loads neither numpy nor FAISS: import the modules themselves.
"""
