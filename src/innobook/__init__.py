"""Analysis code and build pipeline for the book."""
