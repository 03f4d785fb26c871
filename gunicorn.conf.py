"""gunicorn's configuration, read from the working directory (`gunicorn clinic.wsgi`).

Every value comes from the app's settings through clinic/server.py, so the timeouts
follow the Kairo settings; docs/operations.md "Production server" explains them.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

from django.conf import settings  # noqa: E402

from clinic.server import gunicorn_options  # noqa: E402

_options = gunicorn_options(settings)
bind = _options["bind"]
workers = _options["workers"]
worker_class = _options["worker_class"]
threads = _options["threads"]
timeout = _options["timeout"]
graceful_timeout = _options["graceful_timeout"]
keepalive = _options["keepalive"]
accesslog = _options["accesslog"]
errorlog = _options["errorlog"]
access_log_format = _options["access_log_format"]
logger_class = _options["logger_class"]
control_socket_disable = _options["control_socket_disable"]
