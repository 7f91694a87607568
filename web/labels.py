"""Display names for stored enum values, translatable (the DB keeps the code)."""
from flask_babel import lazy_gettext as _l

ROLES = {"agent": _l("Agent"), "supervisor": _l("Supervisor"), "qa": _l("QA reviewer"), "admin": _l("Administrator")}
