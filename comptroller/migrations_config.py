"""For Tortoise's own CLI only (``tortoise -c comptroller.migrations_config.TORTOISE_ORM
makemigrations``): the configuration of the database the settings name."""

from comptroller.database import tortoise_config
from comptroller.settings import get_settings

TORTOISE_ORM = tortoise_config(get_settings().database_url)
