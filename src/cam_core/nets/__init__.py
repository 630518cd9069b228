"""Layer 2, networks: the paper's and small CAM networks, training, feature extraction."""
