"""The address a request came from, as far as this app can trust it.

django-axes locks logins out by it (`AXES_CLIENT_IP_CALLABLE`) and the join page counts
guessed links by it (through axes' `get_client_ip_address`), so both always agree.

With `TRUSTED_PROXY_COUNT` = 0 the app is reached directly: the address is the socket's
(`REMOTE_ADDR`) and any X-Forwarded-For header is the client's own invention, ignored.
Behind N proxies that each append the address they were reached from, the header's last
N entries are theirs and only those can be believed: the client's address is the N-th
from the right. Whatever stands further left came from the client and may be forged; a
header shorter than N means the request did not come through all the proxies, so the
socket's address is used.

django-axes could ask django-ipware instead, but its proxy count reads the header from
the left by default, where a client can write anything; this function is short enough
to check by eye.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "") or ""
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote  # not an address: a proxy would not write that
