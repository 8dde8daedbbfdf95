# An ASGI app for hypercorn that counts the requests it serves and those
# that did not arrive over HTTP/2; GET /__count answers "COUNT NON_H2".
count = 0
non_h2 = 0


async def app(scope, receive, send):
    global count, non_h2
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"] == "/__count":
        body = f"{count} {non_h2}".encode()
    else:
        count += 1
        if scope.get("http_version") != "2":
            non_h2 += 1
        body = b"Hello, World!"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
