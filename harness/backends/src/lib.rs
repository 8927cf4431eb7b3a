//! Model backends: ONNX Runtime (ort), native plugins (libloading), the null model.
