"""Private-network AWS MGN waves: the Lambda package (domain, adapters, handlers)."""
