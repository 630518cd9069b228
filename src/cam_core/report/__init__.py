"""Layer 7, running the book: the notebook pipeline, the ``cam-repro`` CLI, the scoreboard."""
