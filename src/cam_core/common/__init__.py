"""Layer 5, shared by items and report: profiles, paper values, results, plots, display."""
