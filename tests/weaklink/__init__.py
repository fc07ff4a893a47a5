"""The weak-link lab: network namespaces joined by a shaped link, for tests and bench/weaklink.py.

Topology (every address in 10.78.0.0/16, one L2 segment, no route anywhere else)::

    [srv] srv0 10.78.0.1 ──┐
                           │  [bridge] br0 (kernel bridge) ── bx0 ═ bx1 ──(bridge.py)── blur ─┐
    [hst] hst0 10.78.0.2 ──┘                                                                  │
                                                                     [lur] lur0 10.78.0.3 ────┘

The server namespace runs ``pendopo run`` bound to 10.78.0.1 (so it gathers ICE candidates only
there), the host's Chromium runs in ``hst`` on a clean link, the lurah's Chromium in ``lur``
behind the shaped link: kernel ``tbf`` on bx1 and blur for the rate (this kernel has no netem) and
the user-space bridge (``bridge.py``) between them for a fixed delay each way and random loss.
"""
