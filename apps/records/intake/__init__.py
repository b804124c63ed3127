"""Spreadsheet and batch intake of records, in one-way layers: guards → rows → xlsx_source / csv_source → reader → table → staged → importing → services (→ apps/records/tasks.py, views on top)."""
