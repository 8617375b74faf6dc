"""escalation service."""
