"""Proof documents (LaTeX, PDF), the CLI targets, the report and the gradproof command."""
