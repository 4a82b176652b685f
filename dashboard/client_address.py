"""Who is signing in, for the sign-in lockout (django-axes' `AXES_CLIENT_IP_CALLABLE`).

Behind a load balancer every connection comes from the balancer, so its X-Forwarded-For names
the person; from anyone else that header is whatever they typed, so it is ignored. This decides
on the connection's own address, which ipware's `proxy_trusted_ips` does not (it checks the
addresses written in the header).
"""

from django.conf import settings


def client_address(request) -> str:
    peer = request.META.get("REMOTE_ADDR", "")
    trusted = settings.FORWARDED_ALLOW_IPS
    if "*" not in trusted and peer not in trusted:
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    # The rightmost hop that is not one of our balancers is the address they saw; anything to its
    # left is the client's own claim.
    for hop in reversed([hop for hop in hops if hop]):
        if hop not in trusted:
            return hop
    return peer
