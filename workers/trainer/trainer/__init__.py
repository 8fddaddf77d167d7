"""Training side of the platform: reads dataset snapshots, writes JSON-lines events on stdout."""
