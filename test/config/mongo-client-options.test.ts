import { createServer, type AddressInfo } from 'node:net';
import { MongoClient, MongoServerSelectionError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { MONGO_CLIENT_DEFAULTS, mongoClientOptions } from '../../src/config/mongo-client-options.js';

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

describe('the URI’s own options win over the library defaults', () => {
  it('keeps serverSelectionTimeoutMS=300 from the URI (the driver sees 300, not 5000)', () => {
    const uri = 'mongodb://127.0.0.1:1/app?serverSelectionTimeoutMS=300&connecttimeoutms=200';
    const client = new MongoClient(uri, mongoClientOptions({ uri }));
    expect(client.options.serverSelectionTimeoutMS).toBe(300);
    expect(client.options.connectTimeoutMS).toBe(200);
    // Where the URI says nothing, the library's defaults still apply.
    expect(client.options.socketTimeoutMS).toBe(MONGO_CLIENT_DEFAULTS.socketTimeoutMS);
    expect(client.options.appName).toBe('ayz-auth');
  });

  it('lets clientOptions override both the URI and the defaults', () => {
    const uri = 'mongodb://127.0.0.1:1/app?serverSelectionTimeoutMS=300&appName=from-uri';
    const client = new MongoClient(uri, mongoClientOptions({ uri, clientOptions: { serverSelectionTimeoutMS: 700 } }));
    expect(client.options.serverSelectionTimeoutMS).toBe(700);
    expect(client.options.appName).toBe('from-uri');
    expect(client.options.connectTimeoutMS).toBe(MONGO_CLIENT_DEFAULTS.connectTimeoutMS);
  });

  it('applies every default when neither the URI nor clientOptions sets it', () => {
    const uri = 'mongodb://127.0.0.1:1/app';
    expect(mongoClientOptions({ uri })).toEqual(MONGO_CLIENT_DEFAULTS);
  });

  it('a real driver on a closed port gives up after the URI’s 300 ms, not the 5 s default', async () => {
    const uri = `mongodb://127.0.0.1:${await closedPort()}/app?serverSelectionTimeoutMS=300&directConnection=true`;
    const client = new MongoClient(uri, mongoClientOptions({ uri }));
    const started = performance.now();
    try {
      await expect(client.db('app').command({ ping: 1 })).rejects.toBeInstanceOf(MongoServerSelectionError);
    } finally {
      await client.close();
    }
    // Generous bound from the option: far under the 5000 ms default it used to override.
    expect(performance.now() - started).toBeLessThan(MONGO_CLIENT_DEFAULTS.serverSelectionTimeoutMS! / 2);
  });
});
