"""Protocol files: their format (schema), the loader that validates and compiles them, and the compiled model."""
