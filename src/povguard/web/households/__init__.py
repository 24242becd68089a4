"""Household search and profile pages and API."""
