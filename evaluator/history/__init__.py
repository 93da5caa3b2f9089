"""Assessment history: runs, unit results, findings with stable identity and the rectification lifecycle.

SQLite by default (``civic.db`` in the working folder, WAL). Every run is recorded in one transaction, so an
interrupted run leaves the database exactly as before.
"""
