"""Schemathesis hooks for `npm run fuzz`, loaded through SCHEMATHESIS_HOOKS."""

import schemathesis


# The inbound-email webhook takes the raw message as bytes; Schemathesis knows no serializer for it.
@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if value is None:
        return None
    return value if isinstance(value, bytes) else str(value).encode("utf-8")
