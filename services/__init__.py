"""The four services; each is an independent FastStream application with its own consumer group."""
