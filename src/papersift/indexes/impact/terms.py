"""How the snapshot names terms: one list of postings for a word of the title and abstract, one
for a word of the authors (the keyword index scores the two with different analyzers)."""

TEXT_TERM, NAME_TERM = "t:", "n:"
