from django.apps import AppConfig


class BlockScoreConfig(AppConfig):
    name = "blockscore"
    verbose_name = "Platform"
