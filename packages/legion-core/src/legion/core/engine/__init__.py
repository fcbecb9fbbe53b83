"""The task engine: tasks, the work plane, the event bus, and chains of follow-ups."""
