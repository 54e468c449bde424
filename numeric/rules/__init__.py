"""The numeric gradient rules: pure NumPy functions, one per rule, the single numeric source of truth.

Each module holds one layer family: ``fc`` (Linear, ReLU, squared loss), ``conv`` (Conv2d, im2col,
col2im), ``pooling`` (max and average pooling), ``cross_entropy`` (softmax cross-entropy) and
``objective`` (the regularized objective and the SGD step). The layers in ``gradproof.numeric.layers``
call them; ``gradproof.symbolic`` runs the same functions on arrays of symbols.
"""
