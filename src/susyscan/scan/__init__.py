"""Grid scans: onnxruntime inference over grid points and signal-region yields."""
