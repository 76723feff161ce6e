"""A torch-free compress path (work in progress on branch lite-compress): numpy + ONNX Runtime."""
