"""
The app's models, by area: the registry (ports.models.registry), stories
(ports.models.stories), readers' feedback (ports.models.feedback) and
observed data: nmap's and the services file's (ports.models.observed).
"""

from ports.models.feedback import FeedbackPrompt, FeedbackVote
from ports.models.observed import ObservedPort, ObservedRun, ObservedSource
from ports.models.registry import (
    Assignment,
    ImportRun,
    Port,
    RegistryChange,
    port_number_validators,
    widest_range,
)
from ports.models.search import RegistrySearchEntry, StorySearchText
from ports.models.search_tuning import PromotedPort, SearchPromotion, SearchSynonym
from ports.models.stories import (
    FAQ,
    Citation,
    KnownUse,
    RelatedPort,
    Story,
    StoryAutosave,
    StoryRevision,
    StoryTransition,
)
from ports.models.translated import TranslationEdits

__all__ = [
    "FAQ",
    "Assignment",
    "Citation",
    "FeedbackPrompt",
    "FeedbackVote",
    "ImportRun",
    "KnownUse",
    "ObservedPort",
    "ObservedRun",
    "ObservedSource",
    "Port",
    "PromotedPort",
    "RegistryChange",
    "RelatedPort",
    "SearchPromotion",
    "SearchSynonym",
    "Story",
    "StoryAutosave",
    "StoryRevision",
    "RegistrySearchEntry",
    "StorySearchText",
    "StoryTransition",
    "TranslationEdits",
    "port_number_validators",
    "widest_range",
]
