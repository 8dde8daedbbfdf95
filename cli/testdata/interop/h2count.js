// Node's http2 module over TLS, counting the requests it serves and those
// that did not arrive over HTTP/2; GET /__count answers "COUNT NON_H2".
// usage: node h2count.js PORT CERT KEY
const http2 = require('http2');
const fs = require('fs');
const [port, cert, key] = process.argv.slice(2);
let count = 0, nonH2 = 0;
const server = http2.createSecureServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key), allowHTTP1: true }, (req, res) => {
  if (req.url === '/__count') {
    res.end(`${count} ${nonH2}`);
    return;
  }
  count++;
  if (req.httpVersion !== '2.0') nonH2++;
  res.setHeader('content-type', 'text/plain');
  res.end('Hello, World!');
});
server.listen(Number(port), '127.0.0.1');
