"""Faults on purpose: a TCP fault proxy, a seeded fault schedule, a checker (`make chaos`)."""
