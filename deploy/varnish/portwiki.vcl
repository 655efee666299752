# Varnish in front of portwiki's app servers (Varnish 7 with varnish-modules'
# xkey, Debian's varnish and varnish-modules).
#
# Keeps what the site marks public (reader pages, tagged in Surrogate-Key;
# static files) for as long as its Cache-Control says, and drops every page
# with a tag when the site sends `PURGE /` with `xkey-purge: <tags>` (the
# site's FRONT_CACHE_LOCATIONS names this Varnish). Staff, identified by
# their session cookie, and the admin always reach the app.
#
#   varnishd -a :80 -f /etc/varnish/portwiki.vcl -s malloc,1G
#
# Replace the backend with the app servers (or the load balancer) and the
# purgers with the addresses the app servers and task workers purge from.
# A SESSION_COOKIE_NAME other than Django's "sessionid" must be named below.
vcl 4.1;

import xkey;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "No xkey-purge header: nothing purged"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone));
    }
    # Staff and the admin get pages built for them.
    if (req.url ~ "^/admin/" || req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # Reader pages are the same for everyone: other cookies (a CSRF cookie
    # left by the admin's login page, analytics) change nothing.
    unset req.http.Cookie;
    # One copy compressed and one plain, each served as it is stored: the
    # site compresses, and unzipping a page for every plain reader would cost
    # more than keeping it twice.
    if (req.http.Accept-Encoding ~ "gzip") {
        set req.http.X-Encoding = "gzip";
    } else {
        set req.http.X-Encoding = "identity";
    }
    # Varnish's built-in rules follow: only GET and HEAD are looked up.
}

sub vcl_hash {
    hash_data(req.http.X-Encoding);
    # Varnish's built-in rules follow: the URL and host.
}

sub vcl_backend_fetch {
    if (bereq.http.X-Encoding == "identity") {
        unset bereq.http.Accept-Encoding;
    }
}

sub vcl_backend_response {
    if (beresp.http.Surrogate-Key) {
        # The tags xkey.purge() finds this page by.
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    } elsif (bereq.url !~ "^/static/") {
        # Only what the site tags, and its static files, is kept.
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
}

sub vcl_deliver {
    # The tags are for this cache, not for readers.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
}
