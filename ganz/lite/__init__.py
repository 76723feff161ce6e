"""``ganz compress``'s fast method without torch on a CPU: numpy + ONNX Runtime (see ``cli``)."""
