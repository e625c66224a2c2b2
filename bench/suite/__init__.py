"""The pieces of ``python -m bench``: papersift and its peers measured side by side."""
