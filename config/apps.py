from django.contrib.admin.apps import AdminConfig


class RelaisAdminConfig(AdminConfig):
    """The admin on Relais' own site class (OTP required, Relais' login pages)."""

    default_site = "config.admin_site.RelaisAdminSite"
