"""The derivation engine: operands and scalar equations, index algebra, the chain rule, exact comparison, identity claims."""
