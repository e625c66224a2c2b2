"""The keyword accelerator: plain-word queries answered from an impact-ordered PISA snapshot of
the keyword index (``accelerator``), built from the index's own BM25 statistics (``builder``)."""
