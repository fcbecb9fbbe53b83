import io
import json

from legion.core.logging import logger, setup_logging


def test_json_lines_carry_level_message_and_extra() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    logger.bind(task="t1").info("hello {}", "world")
    logger.debug("hidden at INFO")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 1
    assert lines[0]["level"] == "INFO"
    assert lines[0]["message"] == "hello world"
    assert lines[0]["extra"] == {"task": "t1"}


def test_known_secrets_are_masked_in_every_format() -> None:
    for fmt in ("json", "human"):
        out = io.StringIO()
        setup_logging("INFO", fmt, stream=out, color=False, secrets=["s3cr3t-value"])
        logger.info("connecting with s3cr3t-value now")
        assert "s3cr3t-value" not in out.getvalue()
        assert "***REDACTED***" in out.getvalue()
