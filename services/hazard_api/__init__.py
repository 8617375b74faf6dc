"""hazard_api service."""
