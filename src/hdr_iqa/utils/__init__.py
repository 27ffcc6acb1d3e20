"""Small shared helpers (files, logging, run utilities)."""
