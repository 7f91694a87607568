"""FastAGI IVR: caller lookup, menus, ticket status, callbacks, surveys."""
