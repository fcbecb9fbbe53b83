"""Context curation: shrinking long conversations between turns, keeping recent turns verbatim."""

from legion.llm.curation.archive import Archive, ArchivedBatch
from legion.llm.curation.curator import STRATEGIES, CurationResult, Curator
from legion.llm.curation.history_store import HistoryStore, fingerprint
from legion.llm.curation.settings import CurationSettings

__all__ = [
    "STRATEGIES",
    "Archive",
    "ArchivedBatch",
    "CurationResult",
    "CurationSettings",
    "Curator",
    "HistoryStore",
    "fingerprint",
]
