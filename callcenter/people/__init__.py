"""The centre's people, as an admin sets them up: users, teams, agent profiles, skills, wrap-up codes, CSV import.

Every change is a service here, audited in the same transaction (with old
and new values), so the admin pages, the REST API and the ``callcenter``
command change people the same way.  Sign-in, passwords and the first admin
stay in ``access.accounts``; what agents do at the desk is ``presence``.
"""
