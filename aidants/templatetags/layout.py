"""The page layout's fixed parts, rendered once: `{% load layout %}`.

`{% once %}…{% endonce %}` renders its content the first time, per language, and
serves that text afterwards (for as long as the template stays loaded: the whole
process in production, where templates are cached). The content sees none of the
page's variables (an empty context of the same engine): only what is the same for
every visitor can be written there, such as the stylesheet links, the skip
links, the logo and the footer. Tags like `{% url %}`, `{% static %}` and
`{% translate %}` work as usual.
"""

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()


class OnceNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        self.rendered: dict[str | None, SafeString] = {}

    def render(self, context: template.Context) -> SafeString:
        language = get_language()
        found = self.rendered.get(language)
        if found is None:
            # No page variable reaches the content: nothing of one visitor can
            # be served to the next.
            text = self.nodelist.render(context.new())
            found = self.rendered.setdefault(language, mark_safe(text))  # noqa: S308
        return found


@register.tag
def once(parser: template.base.Parser, token: template.base.Token) -> OnceNode:
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    return OnceNode(nodelist)
