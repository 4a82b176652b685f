"""Wait until something answers on 127.0.0.1:PORT (up to a minute), so `make run` can print the
sign-in after the servers' start-up lines, where it is seen."""

import socket
import sys
import time

port = int(sys.argv[1])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.3)
sys.exit(f"Nothing answered on 127.0.0.1:{port} within a minute.")
