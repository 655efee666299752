"""
The app's models, by area: the registry (ports.models.registry), stories
(ports.models.stories) and readers' feedback (ports.models.feedback).
"""

from ports.models.feedback import FeedbackPrompt, FeedbackVote
from ports.models.registry import (
    Assignment,
    ImportRun,
    Port,
    RegistryChange,
    port_number_validators,
    widest_range,
)
from ports.models.search import StorySearchText
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
    "Port",
    "RegistryChange",
    "RelatedPort",
    "Story",
    "StoryAutosave",
    "StoryRevision",
    "StorySearchText",
    "StoryTransition",
    "TranslationEdits",
    "port_number_validators",
    "widest_range",
]
