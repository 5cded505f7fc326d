#!/usr/bin/python3
"""A TLS 1.2 server that asks for the client certificate by renegotiation (OpenSSL).

What a web server with per-location client authentication does (Apache's
`SSLVerifyClient require` inside a <Location>): the first handshake asks for no
certificate; once the request names the protected path, the server sends a HelloRequest
and requires the certificate in the new handshake. Paygent's PHP manual asks for a client
that allows this. rustls (our other test servers) cannot renegotiate, so this one is
pyOpenSSL (Debian's python3-openssl).

usage: renegotiating_server.py DIR

Writes a kit into DIR (ca.pem: the CA of the client certificate; server.pem: the
self-signed server certificate the client trusts; server.key; client.pem: the client
certificate with its RSA key encrypted as PKCS#8 with the passphrase `changeit`, as
Paygent's kits), prints `PORT <n>` and serves connections on 127.0.0.1 one after the
other until killed. Each answer is DIR/response.bin as the body of an HTTP/1.0 200,
sent only after the renegotiation delivered a certificate signed by the CA; each
connection appends one line to DIR/seen.log:
`initial_certificate=<yes|no> renegotiated=<yes|no> client=<CN|-> request=<line>`.
"""

import datetime
import os
import select
import socket
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from OpenSSL import SSL, crypto

PASSPHRASE = b"changeit"


def make_kit(directory):
    now = datetime.datetime.now(datetime.timezone.utc)

    def key():
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def cert(subject_key, cn, issuer_cert, issuer_key, ca=False, san=None):
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_cert.subject if issuer_cert else subject)
            .public_key(subject_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san:
            builder = builder.add_extension(san, critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    import ipaddress

    ca_key = key()
    ca = cert(ca_key, "renegotiation test CA", None, ca_key, ca=True)
    # The server's certificate is its own root, and the client trusts exactly it: under
    # Wine, SChannel fails a server chain below a CA on revocation (a root is never checked).
    server_key = key()
    server = cert(
        server_key,
        "127.0.0.1",
        None,
        server_key,
        san=x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        ),
    )
    client_key = key()
    client = cert(client_key, "renegotiation-test-merchant", ca, ca_key)
    pem = serialization.Encoding.PEM
    files = {
        "ca.pem": ca.public_bytes(pem),
        "server.pem": server.public_bytes(pem),
        "server.key": server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        "client.pem": client.public_bytes(pem)
        + client_key.private_bytes(
            pem,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE),
        ),
    }
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        body += chunk
    return head.split(b"\r\n")[0].decode("latin-1")


def renegotiate_for_certificate(conn, sock):
    """HelloRequest, then the new handshake that must carry the client certificate."""
    conn.set_verify(
        SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT | SSL.VERIFY_CLIENT_ONCE,
        lambda _conn, _cert, _errno, _depth, ok: bool(ok),
    )
    if not conn.renegotiate():
        return False
    conn.do_handshake()  # sends the HelloRequest
    sock.setblocking(False)
    deadline = time.monotonic() + 20
    try:
        # Reading drives the client's new handshake (as Apache peeks).
        while conn.renegotiate_pending() and time.monotonic() < deadline:
            try:
                conn.recv(1, socket.MSG_PEEK)
            except SSL.WantReadError:
                select.select([sock], [], [], 0.2)
    finally:
        sock.setblocking(True)
    return conn.total_renegotiations() > 0 and not conn.renegotiate_pending()


def serve(directory):
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    ctx.use_certificate_file(os.path.join(directory, "server.pem"))
    ctx.use_privatekey_file(os.path.join(directory, "server.key"))
    ctx.load_verify_locations(os.path.join(directory, "ca.pem"))
    ctx.set_verify(SSL.VERIFY_NONE, None)
    # No session tickets or resumption: every renegotiation is a full handshake.
    ctx.set_options(SSL.OP_NO_TICKET)
    ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)
    with open(os.path.join(directory, "ca.pem"), "rb") as f:
        ca_name = crypto.load_certificate(crypto.FILETYPE_PEM, f.read()).get_subject()
    # The CertificateRequest of the renegotiation names the CA, as Apache's does.
    ctx.set_client_ca_list([ca_name])

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    while True:
        sock, _ = listener.accept()
        sock.setblocking(True)
        conn = SSL.Connection(ctx, sock)
        conn.set_accept_state()
        initial = renegotiated = logged = False
        client = "-"
        request = "-"
        try:
            conn.do_handshake()
            initial = conn.get_peer_certificate() is not None
            request = read_request(conn) or "-"
            renegotiated = renegotiate_for_certificate(conn, sock)
            peer = conn.get_peer_certificate()
            if renegotiated and peer is not None:
                client = peer.get_subject().CN
                with open(os.path.join(directory, "response.bin"), "rb") as f:
                    body = f.read()
                # Logged before answering: the client reads the log once it has the answer.
                log(directory, initial, renegotiated, client, request)
                logged = True
                conn.sendall(
                    b"HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=Windows-31J\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                conn.shutdown()
        except Exception as e:  # one failed connection never stops the server
            request += f" error={e!r}".replace("\n", " ")
        finally:
            sock.close()
            if not logged:
                log(directory, initial, renegotiated, client, request)


def log(directory, initial, renegotiated, client, request):
    with open(os.path.join(directory, "seen.log"), "a") as f:
        f.write(
            f"initial_certificate={'yes' if initial else 'no'} "
            f"renegotiated={'yes' if renegotiated else 'no'} "
            f"client={client} request={request}\n"
        )


if __name__ == "__main__":
    make_kit(sys.argv[1])
    serve(sys.argv[1])
