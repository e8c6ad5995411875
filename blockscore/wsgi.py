import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blockscore.settings.local")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application does

from blockscore.handlers import ApiAwareWSGIHandler  # noqa: E402 - needs the app registry

application = ApiAwareWSGIHandler()
