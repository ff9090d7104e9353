/**
 * The HTTP bench server, run as a child process so it has a core of its own while autocannon load
 * comes from the parent: tRPC's standalone adapter on 127.0.0.1, a free port, printed as
 * `READY <port>` on stdout. The HS256 secret comes from BENCH_SECRET. Answers the IPC message
 * 'cpu' with its process.cpuUsage().
 */
import './node20-abort-fix.js';
import type { AddressInfo } from 'node:net';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { createBenchApp } from './app.js';

const secret = process.env.BENCH_SECRET;
if (!secret) throw new Error('http-server: BENCH_SECRET is required');
const app = createBenchApp(secret);
const server = createHTTPServer({ router: app.router, createContext: app.createContext });
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// The parent asks for this process's CPU time around each load round (server CPU per request).
process.on('message', (message) => {
  if (message === 'cpu') process.send!(process.cpuUsage());
});
