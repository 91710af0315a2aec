"""After replication: test and cutover launches of a wave (the LaunchWave state machine)."""
