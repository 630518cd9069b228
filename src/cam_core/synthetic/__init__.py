"""Layer 4, generated data: cluttered silhouettes, composite scenes, target sets."""
