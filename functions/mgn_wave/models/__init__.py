"""Models at every boundary: state input/output, findings, network snapshots, reports."""
