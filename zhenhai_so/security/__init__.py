"""Security and audit of the portal (issue 8, SECURITY.md): the append-only security event log,
password history, session lifetime, two-factor sign-in and idle-account handling.

Other apps record their imports, exports and downloads with
``zhenhai_so.security.services.record_event(request, kind, obj=..., success=..., detail=...)``.
"""
