"""Reminders of the enterprises' own quarterly and yearly statistics reports (#12)."""
