"""How tasks travel between processes: the RabbitMQ work plane of full mode (lite mode keeps the
in-process plane in `legion.core.engine.plane`)."""
