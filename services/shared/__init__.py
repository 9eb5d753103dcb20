"""The runtime every service shares: config, server bootstrap, storage, cache, bus and errors."""
