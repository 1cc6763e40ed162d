"""What every layer may use: errors with the contract's codes, principals, the policy door,
tokens, cache access and the raw-SQL dialect helpers. It imports nothing of ours but ``models``."""
