"""Shared kernel: configuration, database, money, clock, ids, errors, event bus, audit."""
