"""`seed_demo` part of onboarding: the demo accounts have accepted the terms of
use in force, so that the demo logins (and the load tests) land where they aim."""

from demo.aidants import DemoContext
from onboarding import terms


def accept_terms_for_demo_accounts(context: DemoContext) -> None:
    people = [context.staff, context.referent, context.aidant, *context.extra_aidants]
    for aidant in people:
        terms.accept_terms(aidant=aidant, version=terms.current_version())
