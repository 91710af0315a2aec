"""Waiting for replication: the verdict over MGN's source-server record (`classifier`), what to
check when it fails (`hints`), its models (`models`), and the flow the handlers run (`flow`: task
tokens parked per server, decided by MGN's events, the wave-level watch or the deadline's poll)."""
