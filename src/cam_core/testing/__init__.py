"""Layer 7, miniature dataset trees in the layout of the real ones, for full-profile tests."""
