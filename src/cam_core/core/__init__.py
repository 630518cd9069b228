"""Layer 1, CAM maths: tensors and arrays in; maps, boxes and errors out (no files, no plots)."""
