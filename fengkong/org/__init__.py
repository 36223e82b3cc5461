"""Tenants, the organization tree, users, roles, permissions, authentication and data scoping."""
