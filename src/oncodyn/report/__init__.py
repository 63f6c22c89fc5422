"""Reports and end-to-end workflows that write files (tables, figures, text)."""
