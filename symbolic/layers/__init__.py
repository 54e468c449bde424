"""Layer descriptions: the scalar equations of every layer and the rule table (symbolic.layers.table)."""
