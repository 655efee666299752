from modeltranslation.translator import TranslationOptions, register

from ports.models import FAQ, FeedbackPrompt, RelatedPort, Story


@register(Story)
class StoryTranslationOptions(TranslationOptions):
    fields = ("title", "summary", "body")
    # Only English is required; other languages fall back to it.
    required_languages = ("en",)


@register(FAQ)
class FAQTranslationOptions(TranslationOptions):
    fields = ("question", "answer")
    required_languages = ("en",)


@register(RelatedPort)
class RelatedPortTranslationOptions(TranslationOptions):
    fields = ("note",)


@register(FeedbackPrompt)
class FeedbackPromptTranslationOptions(TranslationOptions):
    fields = ("question", "yes_label", "no_label", "comment_prompt", "thanks")
    required_languages = ("en",)
