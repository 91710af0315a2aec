"""Waiting for replication: the verdict over a SourceServer (pure), and what events can change it."""
