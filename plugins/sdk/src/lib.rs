//! The versioned C ABI for native sensibench model plugins, and an export macro.
