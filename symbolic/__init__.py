"""SymPy side of gradproof: scalar equations, the rule table, derivations, identities and proofs
for general sizes. See README, "Architecture"."""
