"""Spreadsheet and batch intake of records, in one-way layers: guards → reader → table → staged → importing → services (→ apps/records/tasks.py, views on top)."""
