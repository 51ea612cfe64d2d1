from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesOpsConfig(AppConfig):
    name = "salesops"
    verbose_name = _("SalesOps")
    default_auto_field = "django.db.models.BigAutoField"
