"""The GitHub App face: a webhook receiver and queue workers over the same review pipeline.

Nothing in the core imports this package; it needs the `server` extra
(`pip install 'reviewbot[server]'`).
"""
