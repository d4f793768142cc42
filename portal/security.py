"""Response headers that keep the browser from loading, leaking or framing anything.

No page loads anything from elsewhere; no page runs inline script or style; nothing is cached.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: Pages that load the crypto bundle, and its Web Worker: WebAssembly (else libsodium takes its
#: pure-JavaScript path, about 100 times slower), fetches to our own upload API, our own worker.
BROWSER_CRYPTO_CSP = CSP.replace(
    "script-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'",
)
#: Static scripts that run in the worker; a worker obeys the CSP its own script arrives with.
BROWSER_CRYPTO_SCRIPTS = frozenset({"js/glas-worker.js", "js/glas-envelope.js"})
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def allow_browser_crypto() -> None:
    """Mark the current page as one that loads the crypto bundle (it gets the wider CSP)."""
    g.browser_crypto = True


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        filename = (request.view_args or {}).get("filename")
        if g.get("browser_crypto") or filename in BROWSER_CRYPTO_SCRIPTS:
            response.headers["Content-Security-Policy"] = BROWSER_CRYPTO_CSP
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html" or response.status_code >= 300:
            response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Server", None)
        return response
