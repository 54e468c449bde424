"""The lecture notes' (seeds 000-004) worked examples, theorems and identities, built on the engine and the layers."""
