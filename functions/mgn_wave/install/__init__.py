"""The agent install contract: what the install Lambda sends and what the node answers."""
