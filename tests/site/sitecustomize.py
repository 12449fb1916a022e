"""Run at the start of every Python process the tests start (``PYTHONPATH`` names this folder): the
fake embedder answers to ``CAPACITIES_EMBED_MODEL=hash-DIM`` there too."""

from tests.fakes import register

register()
