/**
 * A source that dies in the middle of a transfer, as a network failure or a
 * crashed server looks to a client: a TCP proxy that cuts the connection.
 */
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy to `target` that destroys both sides once `cutAfter` bytes have
 * come back from the server: a network failure in the middle of the RDB.
 */
export async function cuttingProxy(target: { host: string; port: number }, cutAfter: number): Promise<{ host: string; port: number; forwarded(): number; close(): Promise<void> }> {
  let forwarded = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const room = cutAfter - forwarded;
      if (room <= 0) return;
      const part = chunk.subarray(0, room);
      forwarded += part.length;
      client.write(part);
      if (forwarded >= cutAfter) {
        client.destroy();
        upstream.destroy();
      }
    });
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    forwarded: () => forwarded,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
