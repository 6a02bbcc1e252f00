"""`seed_demo` part of the demo online service: registers it with the OIDC
bridge, as staff would register a real one."""

from demo.aidants import DemoContext
from demo.rp import config as demo_service
from oidc import keys, services
from oidc.models import Client


def seed_demo_client(context: DemoContext) -> None:
    """Register (or update) the demo service with its fixed demo secret."""
    keys.ensure_keys()
    wanted = {
        "name": demo_service.NAME,
        "redirect_uris": [demo_service.redirect_uri()],
        "post_logout_redirect_uris": [demo_service.post_logout_redirect_uri()],
        "backchannel_logout_uri": demo_service.backchannel_logout_uri(),
        "allowed_demarches": demo_service.DEMARCHES,
        "active": True,
    }
    client = Client.objects.filter(client_id=demo_service.CLIENT_ID).first()
    if client is None:
        client = Client(client_id=demo_service.CLIENT_ID, **wanted)
        services.register_client(client=client, secret=demo_service.CLIENT_SECRET)
    elif any(getattr(client, k) != v for k, v in wanted.items()) or (
        not client.check_client_secret(demo_service.CLIENT_SECRET)
    ):
        for name, value in wanted.items():
            setattr(client, name, value)
        services.register_client(client=client, secret=demo_service.CLIENT_SECRET)
    context.output["client"] = {
        "name": client.name,
        "client_id": client.client_id,
        "client_secret": demo_service.CLIENT_SECRET,
        "redirect_uri": demo_service.redirect_uri(),
        "demo_url": f"{demo_service.site_url()}/demo-service/",
        "discovery": f"{demo_service.issuer()}/.well-known/openid-configuration",
    }
