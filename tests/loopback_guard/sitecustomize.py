"""Loaded by every Python subprocess the tests start (conftest puts this folder on
PYTHONPATH): no name but loopback resolves and no connection leaves loopback, so an
installed msgsvc run by a test cannot reach twilio.com or anything else by mistake."""

import socket
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_getaddrinfo = socket.getaddrinfo
def _guarded_getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name not in _LOOPBACK:
        raise socket.gaierror(socket.EAI_NONAME, "test guard: refusing to resolve " + str(name))
    return _getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = _guarded_getaddrinfo
_connect = socket.socket.connect
def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
        raise OSError("test guard: refusing to connect to " + str(address))
    return _connect(self, address)
socket.socket.connect = _guarded_connect
