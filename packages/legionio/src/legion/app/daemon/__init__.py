"""The daemon: its files (pid, socket, token), its process, and how the CLI reaches it."""
