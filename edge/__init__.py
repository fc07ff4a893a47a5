"""What both edges (web/ for HTTP, signaling/ for socket.io) stand on, and nothing else does:
the typed application state (``edge.keys``), who a request comes from (``edge.clients``: the
trusted-proxy client address, https, the sign-in cookie's user), TURN credentials
(``edge.turn``), which node serves a room (``edge.placement``) and the reading of a client's JSON
fields (``edge.fields``). Below both edges, above the domain packages; it never imports ``web``
or ``signaling``.
"""
