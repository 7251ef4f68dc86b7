"""congkhai: transparency disclosures kept in git, published as a website with a
tamper-evident publication log.

The core (records, categories, rendering, log) never imports MkDocs; ``plugin`` and
``cli`` are thin adapters on top of it.
"""

__version__ = "0.1.0"
