"""An external stream processor for Surge's tests: a plain NATS client on a raw socket that maps
orders from stream.in.<region> to stream.out.<region>.<customer.tier> and drops qty 0, as the
built-in processor's `dynamic` preset does. Usage: stream_mapper.py BROKER_PORT [BUG]; BUG
`skip-7th` loses every kept order whose seq is 3 modulo 7 (a broken processor the workload
must catch)."""
import json
import socket
import sys

port = int(sys.argv[1])
bug = sys.argv[2] if len(sys.argv) > 2 else "none"
sock = socket.create_connection(("127.0.0.1", port))
sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"name":"stream-mapper"}\r\nSUB stream.in.* 1\r\nPING\r\n')
buffer = bytearray()
while True:
    chunk = sock.recv(1 << 16)
    if not chunk:
        break
    buffer += chunk
    out = []
    while True:
        end = buffer.find(b"\r\n")
        if end < 0:
            break
        line = bytes(buffer[:end])
        if line.startswith(b"MSG "):
            size = int(line.split()[-1])
            if len(buffer) < end + 2 + size + 2:
                break
            body = bytes(buffer[end + 2:end + 2 + size])
            del buffer[:end + 2 + size + 2]
            order = json.loads(body)
            if order["qty"] > 0:
                if not (bug == "skip-7th" and order["seq"] % 7 == 3):
                    subject = "stream.out.%s.%s" % (order["region"], order["customer"]["tier"])
                    out.append(b"PUB %s %d\r\n%s\r\n" % (subject.encode(), len(body), body))
            continue
        del buffer[:end + 2]
        if line.startswith(b"PING"):
            out.append(b"PONG\r\n")
    if out:
        sock.sendall(b"".join(out))  # one write per read: a batch of orders, a batch of outputs
