"""Layer 6, one module per group of the paper's tables and figures, each with ``run``."""
