"""The web dashboard: server-rendered pages and static assets over the HTTP API.

The pages hold no data of their own: each one is an HTML shell whose small JavaScript
modules ask the API (``/v1/load``, ``/ingests``, ``/anomalies``...) with the signed-in
user's token, so the server enforces every permission and the pages only hide what a
role cannot use.

>>> from adlens.web import router
>>> sorted(route.path for route in router.routes)[:3]
['/', '/login', '/static/{path:path}']
"""

from adlens.web.routes import PAGES, STATIC_DIR, TEMPLATES_DIR, router

__all__ = ["PAGES", "STATIC_DIR", "TEMPLATES_DIR", "router"]
