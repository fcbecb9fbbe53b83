"""Curation on the gateway: a request of a known conversation is sent with the curated version of
the history its client resends; after the answer, the next curation runs in a worker thread so
no request waits for it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from legion.core.logging import logger
from legion.llm.canonical import ChatRequest, Message, Part, TextPart
from legion.llm.curation.archive import Archive
from legion.llm.curation.curator import Curator
from legion.llm.curation.history_store import HistoryStore
from legion.llm.curation.settings import CurationSettings


class BetweenTurns:
    def __init__(self, settings: CurationSettings) -> None:
        archive = Archive(settings.archive_dir) if settings.archive_dir is not None else None
        self.curator = Curator(settings, archive)
        self.history = HistoryStore()
        # One thread: curations of a conversation run in order, and never compete with requests
        # for more than one core.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="legion-llm-curation")

    def prepare(self, conversation_id: str, request: ChatRequest) -> ChatRequest:
        """The request with its resent history replaced by the curated one, when known."""
        messages = self.history.apply(conversation_id, request.messages)
        if messages is request.messages:
            return request
        return replace(request, messages=messages)

    def after(
        self, conversation_id: str, raw: list[Message], sent: list[Message], answer: list[Part]
    ) -> None:
        """Queue the curation of this turn (`raw`: as the client sent it; `sent`: as we did)."""
        reply = Message("assistant", answer or [TextPart("")])
        self._pool.submit(self._curate, conversation_id, [*raw, reply], [*sent, reply])

    def _curate(self, conversation_id: str, raw: list[Message], sent: list[Message]) -> None:
        try:
            result = self.curator.curate(conversation_id, sent)
        except Exception as exc:  # a curation bug must never break the conversation
            logger.opt(exception=exc).error("curation of {} failed", conversation_id)
            return
        self.history.store(conversation_id, raw, result.messages)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
