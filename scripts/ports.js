'use strict';
const net = require('node:net');

/** True when `port` cannot be listened on (something holds it, on any local address). */
function portHolder(port, host = '0.0.0.0') {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (e) => resolve(e.code === 'EADDRINUSE' || e.code === 'EACCES'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

module.exports = { portHolder };
