"""Workflow actions of the repair app, one module per concern: ``applications`` (credit repair),
``objections``, ``deadlines`` (flags and escalation) and ``notices`` (告知书 service and bulk zips)."""
