"""Batch scoring (``civic batch``), the tabular inputs it reads (one-unit templates, many-unit workbooks, CSV),
peer-average substitution, multi-year combination (``civic combine``) and the atomic output folder.

See docs/batch.md for the officer's workflow and the layouts.
"""
