"""French text helpers for templates: `{% load french %}`."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def list_fr(items) -> str:
    """Items joined as French prose: "A", "A et B", "A, B et C"."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return _("%(head)s et %(last)s") % {
        "head": ", ".join(words[:-1]),
        "last": words[-1],
    }
