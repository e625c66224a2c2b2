"""Differentiable Search Index: a small decoder that maps a query to a semantic document id.

Tay et al., "Transformer Memory as a Differentiable Search Index" (NeurIPS 2022), with the
prefix-aware decoding of NCI (Wang et al., NeurIPS 2022) and pseudo-queries as in DSI-QG (Zhuang
et al., 2022). ``docids`` builds the ids, ``pseudo_queries`` the training queries, ``network`` the
model, ``training`` fits it, ``decoding`` runs constrained beam search and ``model_dir`` stores it.
"""
